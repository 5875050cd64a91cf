import { DeployClient, type Json } from '../../deploy/index.js'
import type { StepContext, StepFunction } from '../step-context.js'

export const deployClientOf = (ctx: StepContext) => new DeployClient(ctx.connection)

/** The endpoint of a model in an environment, as `wharf deployments` lists it. */
export async function endpointOf(client: DeployClient, environment: string, model: string): Promise<Json | undefined> {
  const { endpoints } = await client.get('list', { environment })
  return (endpoints as Json[]).find((e) => e.model_name === model)
}

/**
 * `deploy`: a version goes to an environment through the server's control plane. When the version
 * already serves all traffic there (a resumed run whose deploy had got through), nothing is redone.
 */
export const deployStep: StepFunction<'deploy'> = async (spec, ctx) => {
  const client = deployClientOf(ctx)
  const live = await endpointOf(client, spec.environment, spec.model)
  if (live && live.live_version === spec.version && live.health === 'ready' && live.traffic.weights[spec.version] === 100) {
    ctx.log(`${spec.model} v${spec.version} already serves ${spec.environment} at ${live.url}`)
    return { environment: spec.environment, version: spec.version, url: String(live.url) }
  }
  ctx.log(`deploying ${spec.model} v${spec.version} to ${spec.environment}`)
  const { endpoint } = await client.post('deploy', { model_name: spec.model, environment: spec.environment, version: spec.version })
  ctx.log(`${spec.environment} serves ${spec.model} v${endpoint.live_version} at ${endpoint.url} (${endpoint.health})`)
  return { environment: spec.environment, version: String(endpoint.live_version ?? spec.version), url: String(endpoint.url ?? '') }
}

/** `promote`: moves the production alias to the version live in `from` and rolls `to` to it. */
export const promoteStep: StepFunction<'promote'> = async (spec, ctx) => {
  const { endpoint, change } = await deployClientOf(ctx).post('promote', {
    model_name: spec.model,
    from_environment: spec.from,
    to_environment: spec.to,
    alias: spec.alias,
  })
  ctx.log(`${spec.to} now serves ${spec.model} v${endpoint.live_version} (was v${change.from_version ?? '-'}) at ${endpoint.url}`)
  return { environment: spec.to, version: String(endpoint.live_version), previous_version: String(change.from_version ?? ''), url: String(endpoint.url ?? '') }
}
