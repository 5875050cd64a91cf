import type { DeployClientOptions } from '../deploy/index.js'
import { DeployClient } from '../deploy/index.js'
import { type OutputOptions, printOutcome } from './deploy.js'

/** `wharf promote MODEL --from staging --to production`: moves the alias and rolls the target environment. */
export async function runPromote(model: string, flags: { from: string; to: string; alias?: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  const result = await new DeployClient(connection).post('promote', { model_name: model, from_environment: flags.from, to_environment: flags.to, alias: flags.alias })
  printOutcome(flags, result)
}
