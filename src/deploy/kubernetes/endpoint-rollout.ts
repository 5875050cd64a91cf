import { MlflowError } from '../../errors.js'
import { liveVersionOf, type Traffic } from '../entities.js'
import { type KubernetesEnvironment, servesGrpc } from '../environments.js'
import { captureRateOf } from '../monitoring-settings.js'
import { type KubernetesApi, type LiveObject, podTemplateOf } from './kube-api.js'
import type { KubernetesRollRequest } from './kubernetes-deployer.js'
import {
  buildAutoscaler,
  buildRouterDeployment,
  buildVersionDeployment,
  buildVersionService,
  type EndpointInput,
  imageOf,
  type Manifest,
  routeConfigHash,
  serveGrpcPort,
  servePort,
} from './manifests.js'
import type { EndpointNames } from './names.js'
import type { OwnedObjects } from './owned-objects.js'
import type { RouteConfig } from './route-config.js'
import { watchRollout } from './rollout.js'

/** One endpoint in one cluster, for the length of a change. */
export interface EndpointScope {
  readonly env: KubernetesEnvironment
  readonly api: KubernetesApi
  readonly objects: OwnedObjects
  readonly names: EndpointNames
  readonly input: EndpointInput
  /** Image template of the endpoint's versions (`{version}` replaced per version). */
  readonly template: string
  readonly pollMs?: number | undefined
}

/** What to undo when a rollout fails: Deployments this change created, replica counts it raised, templates it replaced. */
export interface Undo {
  readonly created: string[]
  readonly scaled: [name: string, replicas: number][]
  readonly replacedTemplates: [manifest: Manifest, template: unknown][]
}

export const deploymentRef = (namespace: string, name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name })
export const serviceRef = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'Service', namespace, name })
export const versionOf = (d: LiveObject) => d.metadata.labels?.['wharf.io/model-version']
export const replicasOf = (d: LiveObject | undefined) => (d?.spec as { replicas?: number } | undefined)?.replicas ?? 0

/*
 * The steps of a change to a Kubernetes endpoint (see KubernetesTarget): bring the versions that
 * will take traffic up and wait until they are ready, switch the router, then let the rest go.
 */

/** Replicas each version needs under `traffic`: the live one all, others their share (at least one). */
export async function replicaPlan(scope: EndpointScope, before: Traffic, after: Traffic): Promise<Map<string, number>> {
  const { env, api, names } = scope
  const live = liveVersionOf(after)
  let total = env.replicas
  if (env.autoscaling) {
    // The autoscaler's current count on the version it follows now (or its minimum on a first deploy).
    const followed = liveVersionOf(before)
    const current = followed ? replicasOf(await api.read(deploymentRef(env.namespace, names.version(followed)))) : 0
    total = Math.min(Math.max(current, env.autoscaling.minReplicas), Math.max(env.autoscaling.maxReplicas, env.autoscaling.minReplicas))
  }
  const plan = new Map<string, number>()
  for (const [version, weight] of Object.entries(after.weights)) {
    if (weight > 0) plan.set(version, version === live ? total : Math.max(1, Math.ceil((total * weight) / 100)))
  }
  if (after.shadow) plan.set(after.shadow.version, Math.max(1, Math.ceil((total * after.shadow.percent) / 100)))
  return plan
}

/** Applies the deployed version, raises every version to what it will need, and waits until all are ready. */
export async function bringUp(scope: EndpointScope, request: KubernetesRollRequest, undo: Undo, applied: string[]): Promise<void> {
  const { env, api, names, objects } = scope
  const plan = await replicaPlan(scope, request.before, request.after)
  if (request.version !== undefined && !plan.has(request.version)) plan.set(request.version, 1)
  const sinceMs = Date.now()
  const watched: string[] = []
  for (const [version, replicas] of plan) {
    const name = names.version(version)
    const existing = await objects.read(deploymentRef(env.namespace, name))
    if (version === request.version || !existing) {
      if (!existing && version !== request.version)
        throw new MlflowError('INVALID_STATE', `version ${version} is not running in '${env.name}'; deploy it first`)
      const manifest = buildVersionDeployment(scope.input, version, scope.template)
      if (existing) undo.replacedTemplates.push([manifest, podTemplateOf(existing)])
      else undo.created.push(name)
      const after = await api.apply(manifest)
      await objects.apply(buildVersionService(scope.input, version))
      applied.push(`Deployment/${name}`, `Service/${name}`)
      if ((after.metadata.generation ?? 0) !== (existing?.metadata.generation ?? -1)) watched.push(name)
    }
    const current = replicasOf(await api.read(deploymentRef(env.namespace, name)))
    if (current < replicas) {
      if (existing) undo.scaled.push([name, current])
      await api.scale(env.namespace, name, replicas)
      if (!watched.includes(name)) watched.push(name)
    }
  }
  const timeoutMs = env.rolloutTimeoutSeconds * 1000
  const results = await Promise.all(
    watched.map(async (name) => ({
      name,
      status: await watchRollout(api, {
        namespace: env.namespace,
        name,
        timeoutMs,
        sinceMs,
        pollMs: scope.pollMs,
        podSelector: `${names.selector},app.kubernetes.io/component=serve,wharf.io/model-version=${name.slice(names.base.length + 2)}`,
      }),
    })),
  )
  const failed = results.find((r) => r.status.state !== 'ready')
  if (failed)
    throw new MlflowError(
      'INVALID_STATE',
      `rollout of ${names.modelName} version ${failed.name.slice(names.base.length + 2)} in '${env.name}' failed: ${failed.status.message}`,
    )
}

export async function undoRollout(scope: EndpointScope, undo: Undo): Promise<void> {
  const { env, api } = scope
  for (const name of undo.created) {
    await api.delete(deploymentRef(env.namespace, name)).catch(() => {})
    await api.delete(serviceRef(env.namespace, name)).catch(() => {})
  }
  for (const [manifest, template] of undo.replacedTemplates) {
    if (template) await api.apply({ ...manifest, spec: { ...manifest.spec, template } }).catch(() => {})
  }
  for (const [name, replicas] of undo.scaled) await api.scale(env.namespace, name, replicas).catch(() => {})
}

/** Rolls the router to the new traffic and waits until every router pod (old ones draining too) has it. */
export async function switchRouter(
  scope: EndpointScope,
  after: Traffic,
  undo: Undo,
  sinceMs: number,
  applied: string[],
  beforeReplace: () => Promise<unknown>,
): Promise<void> {
  const { env, api, names, objects } = scope
  const live = liveVersionOf(after)
  if (!live) throw new MlflowError('INVALID_STATE', 'no version would take traffic')
  const config = await routeConfig(scope, after)
  const existing = await objects.read(deploymentRef(env.namespace, names.router))
  // Shadow comparisons are in the logs of the router pods about to be replaced.
  if (existing) await beforeReplace().catch(() => {})
  const manifest = buildRouterDeployment(scope.input, imageOf(scope.template, names, live), config)
  await api.apply(manifest)
  if (replicasOf(await api.read(deploymentRef(env.namespace, names.router))) !== env.routerReplicas)
    await api.scale(env.namespace, names.router, env.routerReplicas)
  applied.push(`Deployment/${names.router}`)
  const status = await watchRollout(api, {
    namespace: env.namespace,
    name: names.router,
    timeoutMs: env.rolloutTimeoutSeconds * 1000,
    sinceMs,
    pollMs: scope.pollMs,
    podSelector: `${names.selector},app.kubernetes.io/component=router`,
  })
  if (status.state !== 'ready') {
    if (existing) await api.apply({ ...manifest, spec: { ...manifest.spec, template: podTemplateOf(existing) } }).catch(() => {})
    else await api.delete(deploymentRef(env.namespace, names.router)).catch(() => {})
    await undoRollout(scope, undo)
    throw new MlflowError(
      'INVALID_STATE',
      `the router of ${names.modelName} in '${env.name}' did not roll out: ${status.message}; rolled back: the endpoint serves as before`,
    )
  }
  await waitRouterPods(scope, routeConfigHash(config))
}

export async function routeConfig(scope: EndpointScope, traffic: Traffic): Promise<RouteConfig> {
  const { env, api, names } = scope
  const address = async (version: string) => {
    const service = await api.read(serviceRef(env.namespace, names.version(version)))
    const ip = (service?.spec as { clusterIP?: string } | undefined)?.clusterIP
    if (!ip || ip === 'None') throw new MlflowError('INVALID_STATE', `Service ${env.namespace}/${names.version(version)} has no cluster IP`)
    return { version, host: ip, port: servePort }
  }
  const targets = await Promise.all(
    Object.entries(traffic.weights)
      .filter(([, w]) => w > 0)
      .map(async ([v, weight]) => ({ ...(await address(v)), weight })),
  )
  const shadow = traffic.shadow ? { ...(await address(traffic.shadow.version)), percent: traffic.shadow.percent } : undefined
  const live = liveVersionOf(traffic)
  const liveTarget = targets.find((t) => t.version === live)
  return { targets, ...(shadow ? { shadow } : {}), ...routeExtras(env, liveTarget) }
}

/**
 * What the router takes besides HTTP: gRPC passed through to the live version only (HTTP/2 streams
 * share long-lived connections, so weights and shadows cannot apply to them), and the share of
 * predictions it logs for monitoring.
 */
export function routeExtras(env: KubernetesEnvironment, live: { version: string; host: string } | undefined): Pick<RouteConfig, 'grpc' | 'capture'> {
  const rate = captureRateOf(env.monitoring)
  return {
    ...(servesGrpc(env) && live ? { grpc: { version: live.version, host: live.host, port: serveGrpcPort } } : {}),
    ...(rate > 0 ? { capture: { sampleRate: rate } } : {}),
  }
}

/** Old router pods keep serving their connections while they drain; old versions must outlive them. */
export async function waitRouterPods(scope: EndpointScope, hash: string): Promise<void> {
  const { env, api, names } = scope
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const pods = await api.list('v1', 'Pod', env.namespace, `${names.selector},app.kubernetes.io/component=router`)
    if (pods.every((p) => p.metadata.labels?.['wharf.io/traffic'] === hash)) return
    await new Promise((resolve) => setTimeout(resolve, scope.pollMs ?? 1000))
  }
}

/** After the switch: the autoscaler follows the live version; the previous live one stays as a one-pod standby; the rest go. */
export async function retire(scope: EndpointScope, before: Traffic, after: Traffic): Promise<void> {
  const { env, api, names, objects } = scope
  const live = liveVersionOf(after)!
  const hpa = buildAutoscaler(scope.input, live)
  if (hpa) await objects.apply(hpa)
  else await objects.delete({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: env.namespace, name: names.base })
  const plan = await replicaPlan(scope, after, after)
  const previous = liveVersionOf(before)
  for (const d of await objects.list('apps/v1', 'Deployment', env.namespace, 'serve')) {
    const version = versionOf(d)
    if (version === undefined) continue
    const wanted = plan.get(version) ?? (version === previous ? 1 : 0)
    if (wanted === 0) {
      await api.delete(deploymentRef(env.namespace, d.metadata.name))
      await api.delete(serviceRef(env.namespace, d.metadata.name))
    } else if (replicasOf(d) > wanted && !(version === live && env.autoscaling)) {
      await api.scale(env.namespace, d.metadata.name, wanted)
    }
  }
}
