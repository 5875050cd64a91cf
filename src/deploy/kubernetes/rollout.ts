import type { KubeEvent, KubernetesApi, LiveObject } from './kube-api.js'

export interface RolloutStatus {
  readonly state: 'ready' | 'progressing' | 'failed'
  readonly message: string
}

/** Reads a Deployment's status the way `kubectl rollout status` does. */
export function rolloutStatus(live: LiveObject): RolloutStatus {
  const spec = (live.spec ?? {}) as { replicas?: number }
  const status = live.status ?? {}
  const generation = live.metadata.generation ?? 0
  const wanted = spec.replicas ?? 1
  const stalled = (status.conditions ?? []).find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')
  if (stalled) return { state: 'failed', message: stalled.message ?? 'progress deadline exceeded' }
  if ((status.observedGeneration ?? 0) < generation) return { state: 'progressing', message: 'waiting for the rollout to be observed' }
  if ((status.updatedReplicas ?? 0) < wanted) return { state: 'progressing', message: `${status.updatedReplicas ?? 0} of ${wanted} replicas updated` }
  if ((status.replicas ?? 0) > (status.updatedReplicas ?? 0))
    return { state: 'progressing', message: `${(status.replicas ?? 0) - (status.updatedReplicas ?? 0)} old replicas pending termination` }
  if ((status.availableReplicas ?? 0) < wanted)
    return { state: 'progressing', message: `${status.availableReplicas ?? 0} of ${wanted} updated replicas available` }
  return { state: 'ready', message: `${wanted} of ${wanted} replicas ready` }
}

/** Container states that will not get better by waiting (image pulls keep failing after their first back-off). */
const hopeless = new Set([
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
])

/** Why a pod of the rollout cannot become ready, if it cannot: its container's waiting reason and message. */
export function podFailure(pod: LiveObject): string | undefined {
  for (const c of pod.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting
    if (waiting?.reason && hopeless.has(waiting.reason)) {
      const last = c.lastState?.terminated
      const exit = waiting.reason === 'CrashLoopBackOff' && last ? ` (exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''})` : ''
      return `${waiting.reason}${exit}: ${waiting.message ?? ''}`.trim().replace(/:$/, '')
    }
  }
  return undefined
}

/** The object an event is really about: a pod or ReplicaSet stands for its Deployment (hash suffixes dropped). */
const ownerOf = (kind: string, name: string) =>
  kind === 'Pod' ? name.replace(/-[a-z0-9]{6,10}-[a-z0-9]{5}$/, '') : kind === 'ReplicaSet' ? name.replace(/-[a-z0-9]{6,10}$/, '') : name

/**
 * Warnings about a set of objects since a time, oldest first: one line per object, reason and message
 * (pod names aside) with how often it happened, so three pods failing the same way read as one line.
 */
export function warningsAbout(events: readonly KubeEvent[], namePrefix: string, sinceMs: number, kinds?: readonly string[]): string[] {
  const groups = new Map<string, { line: string; count: number; lastTime: number }>()
  for (const e of [...events].sort((a, b) => a.lastTime - b.lastTime)) {
    if (e.type !== 'Warning' || !e.name.startsWith(namePrefix) || e.lastTime < sinceMs - 1000 || (kinds && !kinds.includes(e.kind))) continue
    const shape = e.message.replace(/[a-z0-9.-]+-[a-z0-9]{6,10}-[a-z0-9]{5}(_[a-z0-9-]+\([0-9a-f-]{36}\))?/g, '<pod>')
    const key = `${e.kind}/${ownerOf(e.kind, e.name)}/${e.reason}/${shape}`
    const count = (groups.get(key)?.count ?? 0) + e.count
    groups.delete(key)
    groups.set(key, { line: `${e.reason}: ${e.message}`, count, lastTime: e.lastTime })
  }
  return [...groups.values()].map((g) => (g.count > 1 ? `${g.line} (×${g.count})` : g.line))
}

export interface WatchOptions {
  readonly namespace: string
  readonly name: string
  readonly timeoutMs: number
  readonly sinceMs: number
  readonly pollMs?: number
  /** Labels of the Deployment's pods. */
  readonly podSelector: string
}

/**
 * Polls a Deployment until its rollout is ready, cannot succeed (a pod stuck on an image pull or a
 * crash loop, pods refused by admission), or `timeoutMs` passes. A failure says why in the
 * cluster's own words: the pod's waiting reason, the last lines the crashing container wrote, or the
 * warning events about the Deployment, its ReplicaSets and pods.
 */
export async function watchRollout(api: KubernetesApi, options: WatchOptions): Promise<RolloutStatus> {
  const deadline = Date.now() + options.timeoutMs
  let last: RolloutStatus = { state: 'progressing', message: 'not read yet' }
  for (;;) {
    const live = await api.read({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: options.namespace, name: options.name })
    if (!live) return { state: 'failed', message: `Deployment ${options.namespace}/${options.name} disappeared` }
    last = rolloutStatus(live)
    if (last.state === 'ready') return last
    const pods = await api.list('v1', 'Pod', options.namespace, options.podSelector)
    for (const pod of pods) {
      const failure = podFailure(pod)
      if (failure) return { state: 'failed', message: `pod ${pod.metadata.name}: ${failure}${await crashOutput(api, options.namespace, pod, failure)}` }
    }
    const warnings = warningsAbout(await api.events(options.namespace), options.name, options.sinceMs)
    const refused = warnings.find((w) => w.startsWith('FailedCreate:'))
    if (refused) return { state: 'failed', message: refused }
    if (last.state === 'failed' || Date.now() > deadline) {
      const why = warnings.slice(-3).join('; ')
      return {
        state: 'failed',
        message: `${last.state === 'failed' ? last.message : `not ready within ${Math.round(options.timeoutMs / 1000)} s (${last.message})`}${why ? `: ${why}` : ''}`,
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000))
  }
}

/** The last lines a crashed container wrote, which usually name the cause. */
async function crashOutput(api: KubernetesApi, namespace: string, pod: LiveObject, failure: string): Promise<string> {
  if (!failure.startsWith('CrashLoopBackOff')) return ''
  const log = await api.podLog(namespace, pod.metadata.name, { previous: true, tailLines: 5 }).catch(() => '')
  const lines = log
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-3)
  return lines.length > 0 ? `; its last output: ${lines.join(' | ').slice(0, 600)}` : ''
}
