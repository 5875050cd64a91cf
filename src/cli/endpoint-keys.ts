import type { Command } from 'commander'
import type { DeployClientOptions, Json } from '../deploy/index.js'
import { deployConnection } from './deploy.js'
import { emit, type OutputOptions } from './output.js'

export function register(program: Command): void {
  const endpoint = program.command('endpoint').description('Deployed endpoints: their keys.')
  const keys = endpoint.command('keys').description('Endpoint keys (primary, secondary): clients send one as Authorization: Bearer KEY.')
  keys
    .command('show <model>')
    .description("the endpoint's primary and secondary keys")
    .requiredOption('--env <environment>', 'environment, e.g. production')
    .option('--json', 'print JSON')
    .action((model, flags) => showKeys(model, flags, deployConnection()))
  keys
    .command('rotate <model>')
    .description('regenerate one key (move clients to the other first); servers accept the new one within seconds')
    .requiredOption('--env <environment>', 'environment, e.g. production')
    .requiredOption('--key <slot>', 'primary or secondary')
    .option('--json', 'print JSON')
    .action((model, flags) => rotateKey(model, flags, deployConnection()))
}

const describe = (k: Json) => [
  `primary    ${k.primary_key}   (since ${new Date(k.primary_creation_time).toISOString()})`,
  `secondary  ${k.secondary_key}   (since ${new Date(k.secondary_creation_time).toISOString()})`,
  'send one as: Authorization: Bearer KEY',
]

/** `wharf endpoint keys show MODEL --env ENV`: the endpoint's primary and secondary keys. */
async function showKeys(model: string, flags: { env: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  const { DeployClient } = await import('../deploy/index.js')
  const keys = await new DeployClient(connection).get('keys', { environment: flags.env, model_name: model })
  emit(flags, keys, () => describe(keys))
}

/** `wharf endpoint keys rotate MODEL --env ENV --key primary|secondary`: a new key in one slot; the other keeps working. */
async function rotateKey(model: string, flags: { env: string; key: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  if (flags.key !== 'primary' && flags.key !== 'secondary') throw new Error(`--key must be primary or secondary, got '${flags.key}'`)
  const { DeployClient } = await import('../deploy/index.js')
  const keys = await new DeployClient(connection).post('keys/regenerate', { environment: flags.env, model_name: model, key: flags.key })
  emit(flags, keys, () => [
    `regenerated the ${flags.key} key of ${model} in ${flags.env}; servers take it within a few seconds (Kubernetes: up to a minute)`,
    ...describe(keys),
  ])
}
