import type { Command } from 'commander'
import type { DeployClientOptions, Json } from '../deploy/index.js'
import { deployConnection, numberFlag } from './deploy.js'
import { emit, type OutputOptions } from './output.js'

export function register(program: Command): void {
  program
    .command('traffic <model>')
    .description('Show or change how an environment splits traffic between running versions, and the shadow agreement report.')
    .requiredOption('--env <environment>', 'environment')
    .option('--weights <pairs>', 'new weights as VERSION=PERCENT pairs adding up to 100, e.g. 3=90,4=10')
    .option('--shadow <percent>', 'share of requests copied to the shadow version (0 removes the shadow)')
    .option('--json', 'print JSON')
    .action((model, flags) => runTraffic(model, flags, deployConnection()))
}

/** `--weights 3=90,4=10` as {version: percent}. */
function parseWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {}
  for (const part of text.split(',')) {
    const match = /^\s*v?(\d+)\s*[=:]\s*([\d.]+)\s*$/.exec(part)
    if (!match) throw new Error(`--weights: expected VERSION=PERCENT pairs such as 3=90,4=10, got '${part}'`)
    weights[match[1]!] = Number(match[2])
  }
  return weights
}

/** `wharf traffic MODEL --env ENV [--weights 3=90,4=10] [--shadow P]`: change or show traffic and the shadow agreement. */
async function runTraffic(
  model: string,
  flags: { env: string; weights?: string; shadow?: string } & OutputOptions,
  connection: DeployClientOptions,
): Promise<void> {
  const { DeployClient, formatChange, formatEndpoints } = await import('../deploy/index.js')
  const client = new DeployClient(connection)
  const weights = flags.weights === undefined ? undefined : parseWeights(flags.weights)
  const isChange = weights !== undefined || flags.shadow !== undefined
  const changed = isChange
    ? await client.post('traffic', { model_name: model, environment: flags.env, weights, shadow_percent: numberFlag(flags.shadow, '--shadow') })
    : undefined
  const { reports } = await client.get('agreement', { environment: flags.env, model_name: model })
  const endpoint = changed?.endpoint ?? (await client.get('list', { environment: flags.env })).endpoints.find((e: Json) => e.model_name === model)
  emit(flags, { ...(changed ?? { endpoint }), agreement: reports }, () => [
    ...(changed ? [formatChange(changed.change)] : []),
    ...(endpoint ? formatEndpoints([endpoint]) : [`model '${model}' is not deployed in environment '${flags.env}'`]),
    ...(reports as Json[]).map(
      (r) =>
        `shadow v${r.shadow_version} vs live v${r.live_version}: ${r.shadowed_requests} requests, ${r.shadow_errors} shadow errors, ` +
        `labels agree ${r.label_agreement === null ? '-' : `${(r.label_agreement * 100).toFixed(1)}%`}, mean |diff| ${r.mean_absolute_difference === null ? '-' : r.mean_absolute_difference.toPrecision(4)}`,
    ),
  ])
}
