import { DeployClient, type DeployClientOptions, formatChange, formatEndpoints, type Json } from '../deploy/index.js'

export interface OutputOptions {
  readonly json?: boolean | undefined
  readonly out?: (line: string) => void
}

const print = (options: OutputOptions, result: Json, lines: () => string[]) => {
  const out = options.out ?? ((line: string) => process.stdout.write(line + '\n'))
  if (options.json) out(JSON.stringify(result, null, 2))
  else for (const line of lines()) out(line)
}

/** Prints the recorded change and the endpoint it left, as deploy, promote and rollback answer. */
export function printOutcome(options: OutputOptions, result: Json): void {
  print(options, result, () => [formatChange(result.change), ...formatEndpoints([result.endpoint])])
}

const number = (raw: string | undefined, name: string) => {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`${name} must be a number, got '${raw}'`)
  return n
}

/** `wharf deploy MODEL (--version N | --alias A) --env ENV [--weight W | --shadow P]`. */
export async function runDeploy(
  model: string,
  flags: { version?: string; alias?: string; env: string; weight?: string; shadow?: string; dryRun?: boolean } & OutputOptions,
  connection: DeployClientOptions,
): Promise<void> {
  if ((flags.version === undefined) === (flags.alias === undefined)) throw new Error('give exactly one of --version and --alias')
  if (flags.dryRun) {
    const { manifests } = await new DeployClient(connection).post('render', { model_name: model, environment: flags.env, version: flags.version, alias: flags.alias })
    const { stringify } = await import('yaml')
    const out = flags.out ?? ((line: string) => process.stdout.write(line + '\n'))
    out(flags.json ? JSON.stringify(manifests, null, 2) : (manifests as Json[]).map((m) => stringify(m).trimEnd()).join('\n---\n'))
    return
  }
  if (flags.weight !== undefined && flags.shadow !== undefined) throw new Error('--weight and --shadow do not go together')
  const result = await new DeployClient(connection).post('deploy', {
    model_name: model, environment: flags.env, version: flags.version, alias: flags.alias, weight: number(flags.weight, '--weight'), shadow_percent: number(flags.shadow, '--shadow'),
  })
  printOutcome(flags, result)
}

/** `wharf traffic MODEL --env ENV [--weights 3=90,4=10] [--shadow P]`: change or show traffic and the shadow agreement. */
export async function runTraffic(model: string, flags: { env: string; weights?: string; shadow?: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  const client = new DeployClient(connection)
  let weights: Record<string, number> | undefined
  if (flags.weights !== undefined) {
    weights = {}
    for (const part of flags.weights.split(',')) {
      const match = /^\s*v?(\d+)\s*[=:]\s*([\d.]+)\s*$/.exec(part)
      if (!match) throw new Error(`--weights: expected VERSION=PERCENT pairs such as 3=90,4=10, got '${part}'`)
      weights[match[1]!] = Number(match[2])
    }
  }
  const isChange = weights !== undefined || flags.shadow !== undefined
  const changed = isChange ? await client.post('traffic', { model_name: model, environment: flags.env, weights, shadow_percent: number(flags.shadow, '--shadow') }) : undefined
  const { reports } = await client.get('agreement', { environment: flags.env, model_name: model })
  const endpoint = changed?.endpoint ?? (await client.get('list', { environment: flags.env })).endpoints.find((e: Json) => e.model_name === model)
  print(flags, { ...(changed ?? { endpoint }), agreement: reports }, () => [
    ...(changed ? [formatChange(changed.change)] : []),
    ...(endpoint ? formatEndpoints([endpoint]) : [`model '${model}' is not deployed in environment '${flags.env}'`]),
    ...(reports as Json[]).map(
      (r) =>
        `shadow v${r.shadow_version} vs live v${r.live_version}: ${r.shadowed_requests} requests, ${r.shadow_errors} shadow errors, ` +
        `labels agree ${r.label_agreement === null ? '-' : (r.label_agreement * 100).toFixed(1) + '%'}, mean |diff| ${r.mean_absolute_difference === null ? '-' : r.mean_absolute_difference.toPrecision(4)}`,
    ),
  ])
}
