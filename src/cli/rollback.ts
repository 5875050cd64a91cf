import type { Command } from 'commander'
import type { DeployClientOptions } from '../deploy/index.js'
import { deployConnection, printOutcome } from './deploy.js'
import type { OutputOptions } from './output.js'

export function register(program: Command): void {
  program
    .command('rollback <model>')
    .description('Go back to the version that was live before the current one in an environment.')
    .requiredOption('--env <environment>', 'environment, e.g. production')
    .option('--json', 'print JSON')
    .action((model, flags) => runRollback(model, flags, deployConnection()))
}

/** `wharf rollback MODEL --env ENV`: back to the version live before the current one. */
async function runRollback(model: string, flags: { env: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  const { DeployClient } = await import('../deploy/index.js')
  const result = await new DeployClient(connection).post('rollback', { model_name: model, environment: flags.env })
  await printOutcome(flags, result)
}
