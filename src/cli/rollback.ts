import type { DeployClientOptions } from '../deploy/index.js'
import { DeployClient } from '../deploy/index.js'
import { type OutputOptions, printOutcome } from './deploy.js'

/** `wharf rollback MODEL --env ENV`: back to the version live before the current one. */
export async function runRollback(model: string, flags: { env: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  const result = await new DeployClient(connection).post('rollback', { model_name: model, environment: flags.env })
  printOutcome(flags, result)
}
