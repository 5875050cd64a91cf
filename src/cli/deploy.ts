import type { Command } from 'commander'
import { loadConfig } from '../config.js'
import type { DeployClientOptions, Json } from '../deploy/index.js'
import { emit, lineWriter, type OutputOptions } from './output.js'

/** Who the deployment commands are, and where they send their calls (`/api/2.0/wharf/deployments`). */
export function deployConnection(): DeployClientOptions {
  const config = loadConfig()
  return { trackingUri: config.trackingUri, token: config.trackingToken, user: config.user }
}

/** Prints the recorded change and the endpoint it left, as deploy, promote and rollback answer. */
export async function printOutcome(options: OutputOptions, result: Json): Promise<void> {
  const { formatChange, formatEndpoints } = await import('../deploy/index.js')
  emit(options, result, () => [formatChange(result.change), ...formatEndpoints([result.endpoint])])
}

/** A number flag, or undefined when it was not given. */
export function numberFlag(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`${name} must be a number, got '${raw}'`)
  return n
}

export function register(program: Command): void {
  program
    .command('deploy <model>')
    .description('Deploy a registered version to an environment of wharf.yaml: all traffic, a --weight beside the live version, or a --shadow copy.')
    .option('--version <n>', 'the version to deploy')
    .option('--alias <alias>', 'deploy the version an alias points at (e.g. champion)')
    .requiredOption('--env <environment>', 'environment, e.g. staging')
    .option('--weight <percent>', 'blue/green: send this percent of requests to the new version, the rest to the live one')
    .option('--shadow <percent>', 'shadow: copy this percent of requests to the new version; its answers are compared, never returned')
    .option('--dry-run', 'kubernetes environments: print the manifests (Deployment, Service, autoscaler, disruption budget) instead of applying them')
    .option('--json', 'print JSON')
    .action((model, flags) => runDeploy(model, flags, deployConnection()))
}

/** `wharf deploy MODEL (--version N | --alias A) --env ENV [--weight W | --shadow P]`. */
async function runDeploy(
  model: string,
  flags: { version?: string; alias?: string; env: string; weight?: string; shadow?: string; dryRun?: boolean } & OutputOptions,
  connection: DeployClientOptions,
): Promise<void> {
  if ((flags.version === undefined) === (flags.alias === undefined)) throw new Error('give exactly one of --version and --alias')
  const { DeployClient } = await import('../deploy/index.js')
  if (flags.dryRun) {
    const { manifests } = await new DeployClient(connection).post('render', {
      model_name: model,
      environment: flags.env,
      version: flags.version,
      alias: flags.alias,
    })
    const { stringify } = await import('yaml')
    lineWriter(flags)(flags.json ? JSON.stringify(manifests, null, 2) : (manifests as Json[]).map((m) => stringify(m).trimEnd()).join('\n---\n'))
    return
  }
  if (flags.weight !== undefined && flags.shadow !== undefined) throw new Error('--weight and --shadow do not go together')
  const result = await new DeployClient(connection).post('deploy', {
    model_name: model,
    environment: flags.env,
    version: flags.version,
    alias: flags.alias,
    weight: numberFlag(flags.weight, '--weight'),
    shadow_percent: numberFlag(flags.shadow, '--shadow'),
  })
  await printOutcome(flags, result)
}
