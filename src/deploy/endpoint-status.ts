import { liveSince } from './deploy-history.js'
import { type DeployChange, type Endpoint, type Instance, liveVersionOf, type Traffic } from './entities.js'
import type { InstanceHealth, SupervisorStatus } from './supervisor.js'

export interface InstanceStatus {
  readonly version: string
  /** live: the largest weight; canary: some weight; shadow: a copy of requests; standby: kept for a rollback. */
  readonly role: 'live' | 'canary' | 'shadow' | 'standby'
  readonly weight: number
  readonly port: number
  readonly url: string
  readonly pid?: number | undefined
  readonly containerName?: string | undefined
  readonly image?: string | undefined
  readonly health: InstanceHealth | 'unknown'
  readonly restarts: number
  readonly startTime: number
  /** Kubernetes: the version's Deployment (pods wanted and ready) and its rollout state. */
  readonly replicas?: { readonly desired: number; readonly ready: number } | undefined
  readonly rollout?: string | undefined
}

export interface EndpointStatus {
  readonly environment: string
  readonly modelName: string
  readonly target: Endpoint['target']
  readonly url?: string | undefined
  /** gRPC environments: `host:port` of the endpoint's KServe V2 gRPC service (its live version only). */
  readonly grpcUrl?: string | undefined
  readonly liveVersion?: string | undefined
  /** When the live version went live. */
  readonly since?: number | undefined
  /** ready: every version with traffic answers its readiness probe. */
  readonly health: 'ready' | 'degraded' | 'down' | 'unknown'
  readonly traffic: Traffic
  readonly instances: readonly InstanceStatus[]
  /** Kubernetes: recent warning events about the endpoint's objects, newest last. */
  readonly warnings?: readonly string[] | undefined
}

function roleOf(traffic: Traffic, live: string | undefined, version: string): InstanceStatus['role'] {
  if (version === live) return 'live'
  if ((traffic.weights[version] ?? 0) > 0) return 'canary'
  return traffic.shadow?.version === version ? 'shadow' : 'standby'
}

/** What `wharf deployments` shows for one endpoint. */
export function describeEndpoint(
  endpoint: Endpoint,
  instances: readonly Instance[],
  changes: readonly DeployChange[],
  supervision: (instanceId: string) => SupervisorStatus | undefined,
  host: string,
  externalUrl?: string,
): EndpointStatus {
  const live = liveVersionOf(endpoint.traffic)
  const rows = instances.map((i): InstanceStatus => {
    const s = supervision(i.instanceId)
    return {
      version: i.version,
      role: roleOf(endpoint.traffic, live, i.version),
      weight: endpoint.traffic.weights[i.version] ?? 0,
      port: i.port,
      url: `http://${host}:${i.port}`,
      pid: s?.pid ?? i.pid,
      containerName: s?.containerName ?? i.containerName,
      image: i.image,
      health: s?.health ?? 'unknown',
      restarts: s?.restarts ?? 0,
      startTime: i.startTime,
    }
  })
  const serving = rows.filter((r) => r.weight > 0)
  const readyCount = serving.filter((r) => r.health === 'ready').length
  const health =
    endpoint.target === 'kubernetes'
      ? 'unknown'
      : serving.length === 0
        ? 'down'
        : readyCount === serving.length
          ? 'ready'
          : readyCount > 0
            ? 'degraded'
            : 'down'
  const url = endpoint.target === 'kubernetes' ? externalUrl : endpoint.routerPort === undefined ? undefined : `http://${host}:${endpoint.routerPort}`
  return {
    environment: endpoint.environment,
    modelName: endpoint.modelName,
    target: endpoint.target,
    url,
    liveVersion: live,
    since: live === undefined ? undefined : (liveSince(changes, live) ?? endpoint.creationTime),
    health,
    traffic: endpoint.traffic,
    instances: rows,
  }
}
