import type { Command } from 'commander'
import type { DeployClientOptions, Json } from '../deploy/index.js'
import { deployConnection } from './deploy.js'
import { emit, type OutputOptions } from './output.js'

export function register(program: Command): void {
  program
    .command('deployments [environment]')
    .description('What runs where: live version, since when, health, traffic, endpoint URL; --history for every recorded change.')
    .option('--model <name>', 'only this model')
    .option('--history', 'the recorded changes: who, when, from which version to which')
    .option('--json', 'print JSON')
    .action((environment, flags) => runDeployments(environment, flags, deployConnection()))
}

/** `wharf deployments [ENV] [--history] [--model M]`: what runs where, since when, health, endpoint URL. */
async function runDeployments(
  environment: string | undefined,
  flags: { history?: boolean; model?: string } & OutputOptions,
  connection: DeployClientOptions,
): Promise<void> {
  const { DeployClient, formatChange, formatEndpoints } = await import('../deploy/index.js')
  const client = new DeployClient(connection)
  if (flags.history) {
    const { changes } = await client.get('history', { environment, model_name: flags.model })
    return emit(flags, { changes }, () => (changes as Json[]).map(formatChange))
  }
  const { endpoints } = await client.get('list', { environment })
  const shown = (endpoints as Json[]).filter((e) => flags.model === undefined || e.model_name === flags.model)
  emit(flags, { endpoints: shown }, () => formatEndpoints(shown))
}
