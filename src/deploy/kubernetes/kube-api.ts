import type { Manifest } from './manifests.js'

export interface ObjectRef {
  readonly apiVersion: string
  readonly kind: string
  readonly namespace: string
  readonly name: string
}

/** An object as the API server returns it: what was applied, plus what the server keeps. */
export interface LiveObject extends Manifest {
  readonly metadata: Manifest['metadata'] & {
    readonly uid?: string
    readonly resourceVersion?: string
    readonly generation?: number
    readonly deletionTimestamp?: string
    readonly creationTimestamp?: string
  }
  readonly status?: ObjectStatus
}

/** The status fields Wharf reads (of Deployments, Pods, Services and Nodes). */
export interface ObjectStatus {
  readonly conditions?: readonly { readonly type: string; readonly reason?: string; readonly message?: string }[]
  readonly observedGeneration?: number
  /** A Pod's phase: Pending, Running, Succeeded, Failed, Unknown. */
  readonly phase?: string
  readonly replicas?: number
  readonly updatedReplicas?: number
  readonly readyReplicas?: number
  readonly availableReplicas?: number
  readonly containerStatuses?: readonly {
    readonly restartCount?: number
    readonly state?: { readonly waiting?: { readonly reason?: string; readonly message?: string } }
    readonly lastState?: { readonly terminated?: { readonly exitCode?: number; readonly reason?: string } }
  }[]
  readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[] }
  readonly addresses?: readonly { readonly type: string; readonly address: string }[]
}

/** A Deployment's pod template as applied (what a failed rollout puts back). */
export const podTemplateOf = (d: LiveObject) => (d.spec as { template?: { spec?: { containers?: readonly { image?: string }[] } } } | undefined)?.template

/** A core/v1 Event, reduced to what Wharf reports. */
export interface KubeEvent {
  readonly type: string
  readonly reason: string
  readonly message: string
  readonly kind: string
  readonly name: string
  readonly count: number
  readonly lastTime: number
}

/**
 * The calls the kubernetes target makes; `client-node-api.ts` implements them with
 * @kubernetes/client-node. Errors name what the API server said (no credentials in them).
 */
export interface KubernetesApi {
  /** The object, or undefined when it does not exist. */
  read(ref: ObjectRef): Promise<LiveObject | undefined>
  list(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<LiveObject[]>
  /** Server-side apply with Wharf's field manager (conflicts forced: Wharf owns what it applies). */
  apply(manifest: Manifest, options?: { fieldManager?: string; dryRun?: boolean }): Promise<LiveObject>
  /** Create (not apply), e.g. a server-side dry run of a Pod against admission. */
  create(manifest: Manifest, options?: { dryRun?: boolean }): Promise<LiveObject>
  delete(ref: ObjectRef): Promise<void>
  /** Sets a Deployment's replicas through its scale subresource (as an autoscaler does). */
  scale(namespace: string, deployment: string, replicas: number): Promise<void>
  events(namespace: string): Promise<KubeEvent[]>
  podLog(namespace: string, pod: string, options?: { sinceSeconds?: number; previous?: boolean; tailLines?: number; timestamps?: boolean }): Promise<string>
  /**
   * GET `path` on a pod's `port` through the API server's pod proxy (`pods/proxy`), with `headers`
   * passed on to the pod; rejects on a non-2xx answer or after `timeoutMs`. The API server drops
   * the Authorization header before proxying: a credential for the pod goes in another header.
   */
  proxyGet(namespace: string, pod: string, port: number, path: string, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<string>
  /** The API server's address, for messages. */
  readonly server: string
}

export const refOf = (m: Manifest): ObjectRef => ({
  apiVersion: m.apiVersion,
  kind: m.kind,
  namespace: m.metadata.namespace ?? 'default',
  name: m.metadata.name,
})
