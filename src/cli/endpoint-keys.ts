import type { DeployClientOptions, Json } from '../deploy/index.js'
import { DeployClient } from '../deploy/index.js'
import type { OutputOptions } from './deploy.js'

const print = (options: OutputOptions, keys: Json, lines: string[]) => {
  const out = options.out ?? ((line: string) => process.stdout.write(line + '\n'))
  if (options.json) out(JSON.stringify(keys, null, 2))
  else for (const line of lines) out(line)
}

const describe = (k: Json) => [
  `primary    ${k.primary_key}   (since ${new Date(k.primary_creation_time).toISOString()})`,
  `secondary  ${k.secondary_key}   (since ${new Date(k.secondary_creation_time).toISOString()})`,
  'send one as: Authorization: Bearer KEY',
]

/** `wharf endpoint keys show MODEL --env ENV`: the endpoint's primary and secondary keys. */
export async function showKeys(model: string, flags: { env: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  const keys = await new DeployClient(connection).get('keys', { environment: flags.env, model_name: model })
  print(flags, keys, describe(keys))
}

/** `wharf endpoint keys rotate MODEL --env ENV --key primary|secondary`: a new key in one slot; the other keeps working. */
export async function rotateKey(model: string, flags: { env: string; key: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  if (flags.key !== 'primary' && flags.key !== 'secondary') throw new Error(`--key must be primary or secondary, got '${flags.key}'`)
  const keys = await new DeployClient(connection).post('keys/regenerate', { environment: flags.env, model_name: model, key: flags.key })
  print(flags, keys, [`regenerated the ${flags.key} key of ${model} in ${flags.env}; servers take it within a few seconds (Kubernetes: up to a minute)`, ...describe(keys)])
}
