import type { Manifest } from './manifests.js'

export type ReconcileAction = 'create' | 'update' | 'unchanged' | 'delete'

export interface PlannedChange {
  readonly action: ReconcileAction
  readonly kind: string
  readonly name: string
  /** The desired object (create, update, unchanged) or the live one (delete). */
  readonly manifest: Manifest
}

/** The few calls reconcile needs; `client-node-api.ts` implements them with @kubernetes/client-node. */
export interface KubernetesApi {
  /** The live object, or undefined when it does not exist. */
  read(kind: string, apiVersion: string, namespace: string, name: string): Promise<Manifest | undefined>
  create(manifest: Manifest): Promise<void>
  replace(manifest: Manifest, resourceVersion: string | undefined): Promise<void>
  delete(manifest: Manifest): Promise<void>
}

/** True when every field of `desired` has the same value in `live` (the server adds defaults and status). */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) return Array.isArray(live) && desired.length === live.length && desired.every((d, i) => isSubset(d, live[i]))
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false
    return Object.entries(desired).every(([k, v]) => isSubset(v, (live as Record<string, unknown>)[k]))
  }
  return desired === live || (typeof desired === 'number' && String(desired) === live)
}

/**
 * Compares desired objects with live ones: missing → create, different → update, same → unchanged;
 * live objects Wharf made for this endpoint that are no longer desired (an autoscaler turned off) → delete.
 */
export function planChanges(desired: readonly Manifest[], live: readonly (Manifest | undefined)[], formerlyManaged: readonly Manifest[] = []): PlannedChange[] {
  const plan: PlannedChange[] = desired.map((manifest, i) => {
    const current = live[i]
    const action: ReconcileAction =
      current === undefined ? 'create' : isSubset({ metadata: { labels: manifest.metadata.labels }, spec: manifest.spec }, current) ? 'unchanged' : 'update'
    return { action, kind: manifest.kind, name: manifest.metadata.name, manifest }
  })
  for (const extra of formerlyManaged) {
    if (!desired.some((d) => d.kind === extra.kind && d.metadata.name === extra.metadata.name))
      plan.push({ action: 'delete', kind: extra.kind, name: extra.metadata.name, manifest: extra })
  }
  return plan
}

/** Optional objects Wharf may have created earlier for an endpoint: read to find what to delete. */
const optionalKinds = [
  { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2' },
  { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1' },
]

/** Reads live state, plans, then applies the plan; returns what it did. */
export async function reconcile(desired: readonly Manifest[], api: KubernetesApi): Promise<PlannedChange[]> {
  const namespace = desired[0]?.metadata.namespace ?? 'default'
  const live = await Promise.all(desired.map((m) => api.read(m.kind, m.apiVersion, m.metadata.namespace ?? namespace, m.metadata.name)))
  const name = desired[0]?.metadata.name ?? ''
  const former = (await Promise.all(optionalKinds.map((k) => api.read(k.kind, k.apiVersion, namespace, name)))).filter(
    (m): m is Manifest => m !== undefined && m.metadata.labels?.['app.kubernetes.io/managed-by'] === 'wharf',
  )
  const plan = planChanges(desired, live, former)
  for (const [i, change] of plan.entries()) {
    if (change.action === 'create') await api.create(change.manifest)
    else if (change.action === 'update') await api.replace(change.manifest, (live[i]?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion)
    else if (change.action === 'delete') await api.delete(change.manifest)
  }
  return plan
}

export interface RolloutStatus {
  readonly state: 'ready' | 'progressing' | 'failed'
  readonly message: string
}

/** The fields of a Deployment's status that a rollout is judged by (apps/v1 DeploymentStatus). */
interface DeploymentStatus {
  readonly observedGeneration?: number
  readonly replicas?: number
  readonly updatedReplicas?: number
  readonly readyReplicas?: number
  readonly availableReplicas?: number
  readonly unavailableReplicas?: number
  readonly conditions?: readonly { readonly type?: string; readonly reason?: string; readonly message?: string }[]
}

/** Reads a Deployment's status the way `kubectl rollout status` does. */
export function rolloutStatus(live: Manifest): RolloutStatus {
  const spec = live.spec as { replicas?: number }
  const status = (live as unknown as { status?: DeploymentStatus }).status ?? {}
  const generation = (live.metadata as { generation?: number }).generation ?? 0
  const wanted = spec.replicas ?? 1
  const stalled = (status.conditions ?? []).find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')
  if (stalled) return { state: 'failed', message: stalled.message ?? 'progress deadline exceeded' }
  if ((status.observedGeneration ?? 0) < generation) return { state: 'progressing', message: 'waiting for the rollout to be observed' }
  if ((status.updatedReplicas ?? 0) < wanted) return { state: 'progressing', message: `${status.updatedReplicas ?? 0} of ${wanted} replicas updated` }
  if ((status.replicas ?? 0) > (status.updatedReplicas ?? 0))
    return { state: 'progressing', message: `${(status.replicas ?? 0) - (status.updatedReplicas ?? 0)} old replicas pending termination` }
  if ((status.availableReplicas ?? 0) < wanted)
    return { state: 'progressing', message: `${status.availableReplicas ?? 0} of ${wanted} updated replicas available` }
  return { state: 'ready', message: `${wanted} replicas ready` }
}

/** Polls the Deployment until its rollout is ready or failed, or `timeoutMs` passes (then failed). */
export async function watchRollout(api: KubernetesApi, deployment: Manifest, timeoutMs: number, pollMs = 2000): Promise<RolloutStatus> {
  const deadline = Date.now() + timeoutMs
  let last: RolloutStatus = { state: 'progressing', message: 'not read yet' }
  while (Date.now() < deadline) {
    const live = await api.read('Deployment', 'apps/v1', deployment.metadata.namespace ?? 'default', deployment.metadata.name)
    if (live) last = rolloutStatus(live)
    if (last.state !== 'progressing') return last
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
  return { state: 'failed', message: `not ready within ${Math.round(timeoutMs / 1000)} s: ${last.message}` }
}
