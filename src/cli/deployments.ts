import type { DeployClientOptions, Json } from '../deploy/index.js'
import { DeployClient, formatChange, formatEndpoints } from '../deploy/index.js'
import type { OutputOptions } from './deploy.js'

/** `wharf deployments [ENV] [--history] [--model M]`: what runs where, since when, health, endpoint URL. */
export async function runDeployments(environment: string | undefined, flags: { history?: boolean; model?: string } & OutputOptions, connection: DeployClientOptions): Promise<void> {
  const client = new DeployClient(connection)
  const out = flags.out ?? ((line: string) => process.stdout.write(line + '\n'))
  if (flags.history) {
    const { changes } = await client.get('history', { environment, model_name: flags.model })
    if (flags.json) return out(JSON.stringify({ changes }, null, 2))
    for (const c of changes as Json[]) out(formatChange(c))
    return
  }
  const { endpoints } = await client.get('list', { environment })
  const shown = (endpoints as Json[]).filter((e) => flags.model === undefined || e.model_name === flags.model)
  if (flags.json) return out(JSON.stringify({ endpoints: shown }, null, 2))
  for (const line of formatEndpoints(shown)) out(line)
}
