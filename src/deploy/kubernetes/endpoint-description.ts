import { type Endpoint, liveVersionOf } from '../entities.js'
import type { EndpointStatus, InstanceStatus } from '../endpoint-status.js'
import { type EndpointScope, replicasOf, versionOf } from './endpoint-rollout.js'
import { externalUrlOf, grpcAddressOf } from './external-url.js'
import { type LiveObject, podTemplateOf } from './kube-api.js'
import { servePort } from './manifests.js'
import { rolloutStatus, warningsAbout } from './rollout.js'
import { servesGrpc } from '../environments.js'

/**
 * What `wharf deployments` shows for a Kubernetes endpoint, read from the cluster: per version the
 * pods wanted and ready and the rollout state, the health (every version with traffic has a ready
 * pod, and so does the router), the URL, and the recent warning events about its objects.
 */
export async function describeClusterEndpoint(scope: EndpointScope, endpoint: Endpoint, base: EndpointStatus): Promise<EndpointStatus> {
  const { env } = scope
  let deployments: LiveObject[]
  try {
    deployments = await scope.objects.list('apps/v1', 'Deployment', env.namespace)
  } catch (err) {
    return { ...base, health: 'unknown', warnings: [(err as Error).message] }
  }
  const live = liveVersionOf(endpoint.traffic)
  const router = deployments.find((d) => d.metadata.name === scope.names.router)
  const instances: InstanceStatus[] = deployments
    .filter((d) => versionOf(d) !== undefined)
    .map((d) => {
      const version = versionOf(d)!
      const weight = endpoint.traffic.weights[version] ?? 0
      const role: InstanceStatus['role'] =
        version === live ? 'live' : weight > 0 ? 'canary' : endpoint.traffic.shadow?.version === version ? 'shadow' : 'standby'
      const ready = d.status?.readyReplicas ?? 0
      const container = (podTemplateOf(d)?.spec?.containers ?? [])[0]
      return {
        version,
        role,
        weight,
        port: servePort,
        url: `http://${d.metadata.name}.${env.namespace}.svc:${servePort}`,
        image: container?.image,
        health: ready > 0 ? 'ready' : 'starting',
        restarts: 0,
        startTime: Date.parse(d.metadata.creationTimestamp ?? '') || 0,
        replicas: { desired: replicasOf(d), ready },
        rollout: rolloutStatus(d).message,
      } as InstanceStatus
    })
  const serving = instances.filter((i) => i.weight > 0)
  const readyCount = serving.filter((i) => (i.replicas?.ready ?? 0) > 0).length
  const routerReady = (router?.status?.readyReplicas ?? 0) > 0
  const health = serving.length === 0 || !routerReady ? 'down' : readyCount === serving.length ? 'ready' : readyCount > 0 ? 'degraded' : 'down'
  // Probe failures of pods that are gone were their start or their shutdown: not worth a line.
  const pods = new Set((await scope.api.list('v1', 'Pod', env.namespace, scope.names.selector).catch(() => [])).map((p) => p.metadata.name))
  const events = (await scope.api.events(env.namespace).catch(() => [])).filter((e) => !(e.kind === 'Pod' && e.reason === 'Unhealthy' && !pods.has(e.name)))
  // The pods' and rollouts' own warnings first; an autoscaler's (every 15 s while metrics are missing) would crowd them out.
  const since = Date.now() - 10 * 60_000
  const workloads = ['Pod', 'ReplicaSet', 'Deployment']
  const others = [...new Set(events.map((e) => e.kind))].filter((k) => !workloads.includes(k))
  const warnings = [
    ...warningsAbout(events, scope.names.base, since, workloads).slice(-4),
    ...warningsAbout(events, scope.names.base, since, others).slice(-1),
  ].map((w) => (w.length > 240 ? `${w.slice(0, 239)}…` : w))
  const url = await externalUrlOf(scope.api, env, scope.names).catch(() => undefined)
  const grpcUrl = servesGrpc(env) ? await grpcAddressOf(scope.api, env, scope.names).catch(() => undefined) : undefined
  const routerRow = router ? [`router: ${router.status?.readyReplicas ?? 0} of ${replicasOf(router)} ready`] : []
  return { ...base, url, ...(grpcUrl ? { grpcUrl } : {}), health, instances, warnings: [...routerRow.filter(() => !routerReady), ...warnings] }
}
