import type { Command } from 'commander'
import type { DeployClientOptions } from '../deploy/index.js'
import { deployConnection, printOutcome } from './deploy.js'
import type { OutputOptions } from './output.js'

export function register(program: Command): void {
  program
    .command('promote <model>')
    .description("Move the model's production alias to the version live in --from and roll --to to it (start new, wait ready, switch, drain old).")
    .requiredOption('--from <environment>', 'where the version is live, e.g. staging')
    .requiredOption('--to <environment>', 'where to roll it out, e.g. production')
    .option('--alias <alias>', 'alias to move (default production)')
    .option('--json', 'print JSON')
    .action((model, flags) => runPromote(model, flags, deployConnection()))
}

/** `wharf promote MODEL --from staging --to production`: moves the alias and rolls the target environment. */
async function runPromote(model: string, flags: { from: string; to: string; alias?: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  const { DeployClient } = await import('../deploy/index.js')
  const result = await new DeployClient(connection).post('promote', {
    model_name: model,
    from_environment: flags.from,
    to_environment: flags.to,
    alias: flags.alias,
  })
  await printOutcome(flags, result)
}
