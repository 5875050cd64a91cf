import { Command } from 'commander'
import { version } from '../version.js'
import * as buildImage from './build-image.js'
import * as deploy from './deploy.js'
import * as deployments from './deployments.js'
import * as endpointKeys from './endpoint-keys.js'
import * as models from './models.js'
import * as monitor from './monitor.js'
import * as pipeline from './pipeline.js'
import * as promote from './promote.js'
import * as rollback from './rollback.js'
import * as route from './route.js'
import * as serve from './serve.js'
import * as server from './server.js'
import * as traffic from './traffic.js'
import * as train from './train.js'

/**
 * The `wharf` command. Each command lives in its own file, which registers its flags; the feature
 * behind it is imported only when the command runs (`await import` in its action), so every
 * command starts without loading the others.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('wharf')
    .description('Wharf: track experiments, register models, and serve them as low-latency REST endpoints.')
    .version(version)
    // Root options only before the subcommand, so `wharf deploy M --version 3` means the model version.
    .enablePositionalOptions()
  for (const command of [server, train, serve, models, deploy, promote, rollback, traffic, deployments, endpointKeys, buildImage, route, pipeline, monitor])
    command.register(program)
  await program.parseAsync([...argv])
}
