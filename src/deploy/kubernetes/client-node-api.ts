import { request as httpRequest } from 'node:http'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { MlflowError } from '../../errors.js'
import type { KubeEvent, KubernetesApi, LiveObject, ObjectRef } from './kube-api.js'
import { fieldManager } from './names.js'

/** What the API server said, without the request (which may carry a token) or a stack. */
function describe(err: unknown, server: string): string {
  const e = err as { code?: number | string; body?: unknown; message?: string; cause?: { code?: string } }
  if (typeof e.code === 'number') {
    let message: string | undefined
    try {
      message = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body)?.message
    } catch {
      message = undefined
    }
    return `the Kubernetes API answered ${e.code}${message ? `: ${message}` : ''}`
  }
  const code = e.cause?.code ?? (typeof e.code === 'string' ? e.code : undefined)
  return `cannot reach the Kubernetes API at ${server}${code ? ` (${code})` : `: ${(e.message ?? String(err)).split('\n')[0]}`}`
}

const statusOf = (err: unknown) => (err as { code?: unknown }).code

/**
 * KubernetesApi on @kubernetes/client-node 1.x (2.x needs Node 22), imported only when a
 * kubeconfig is used. Any failure becomes INVALID_STATE with the API server's own words; a
 * conflict (409) or a refusal by admission (403, 422) keeps the status text so callers can tell.
 */
export async function connectKubernetes(kubeconfig: string, context?: string): Promise<KubernetesApi> {
  const k8s = await import('@kubernetes/client-node')
  const config = new k8s.KubeConfig()
  try {
    config.loadFromFile(kubeconfig)
  } catch (err) {
    throw new MlflowError('INVALID_STATE', `cannot read the kubeconfig ${kubeconfig}: ${(err as Error).message.split('\n')[0]}`)
  }
  if (context) {
    if (!config.getContexts().some((c) => c.name === context))
      throw new MlflowError('INVALID_STATE', `the kubeconfig ${kubeconfig} has no context '${context}'`)
    config.setCurrentContext(context)
  }
  const server = config.getCurrentCluster()?.server ?? 'an unknown server'
  const objects = k8s.KubernetesObjectApi.makeApiClient(config)
  const apps = config.makeApiClient(k8s.AppsV1Api)
  const core = config.makeApiClient(k8s.CoreV1Api)
  const header = (ref: ObjectRef) => ({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } })
  const call = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation()
    } catch (err) {
      throw new MlflowError('INVALID_STATE', describe(err, server))
    }
  }
  return {
    server,
    read: async (ref) => {
      try {
        return (await objects.read(header(ref))) as unknown as LiveObject
      } catch (err) {
        if (statusOf(err) === 404) return undefined
        throw new MlflowError('INVALID_STATE', describe(err, server))
      }
    },
    list: (apiVersion, kind, namespace, labelSelector) =>
      call(
        async () =>
          (await objects.list(apiVersion, kind, namespace || undefined, undefined, undefined, undefined, undefined, labelSelector || undefined))
            .items as unknown as LiveObject[],
      ),
    apply: (manifest, options = {}) =>
      call(
        async () =>
          (await objects.patch(
            manifest as never,
            undefined,
            options.dryRun ? 'All' : undefined,
            options.fieldManager ?? fieldManager,
            true,
            k8s.PatchStrategy.ServerSideApply,
          )) as unknown as LiveObject,
      ),
    create: (manifest, options = {}) =>
      call(async () => (await objects.create(manifest as never, undefined, options.dryRun ? 'All' : undefined, fieldManager)) as unknown as LiveObject),
    delete: async (ref) => {
      try {
        await objects.delete(header(ref) as never, undefined, undefined, undefined, undefined, 'Background')
      } catch (err) {
        if (statusOf(err) !== 404) throw new MlflowError('INVALID_STATE', describe(err, server))
      }
    },
    scale: (namespace, name, replicas) =>
      call(async () => {
        await apps.replaceNamespacedDeploymentScale({
          name,
          namespace,
          fieldManager: `${fieldManager}-scale`,
          body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace }, spec: { replicas } },
        })
      }),
    events: (namespace) =>
      call(async () => {
        const list = await core.listNamespacedEvent({ namespace })
        return list.items.map(
          (e): KubeEvent => ({
            type: e.type ?? '',
            reason: e.reason ?? '',
            message: e.message ?? '',
            kind: e.involvedObject.kind ?? '',
            name: e.involvedObject.name ?? '',
            count: e.count ?? 1,
            lastTime: new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime(),
          }),
        )
      }),
    proxyGet: (namespace, pod, port, path, headers, timeoutMs) =>
      proxyGet(config, `${server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy${path}`, headers, timeoutMs),
    podLog: (namespace, pod, options = {}) =>
      call(() =>
        core.readNamespacedPodLog({
          name: pod,
          namespace,
          sinceSeconds: options.sinceSeconds,
          previous: options.previous,
          tailLines: options.tailLines,
          timestamps: options.timestamps,
        }),
      ),
  }
}

/**
 * A GET through the API server with the kubeconfig's credentials (client certificate, token, basic
 * auth), as the generated client would send it, but with headers of our own and a timeout: the
 * generated pod-proxy call takes neither. Errors name the status or the network failure only.
 */
async function proxyGet(config: KubeConfig, url: string, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<string> {
  const options: RequestOptions = { method: 'GET', headers: { ...headers } }
  await config.applyToHTTPSOptions(options)
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<string>((resolve, reject) => {
    const req = send(target, { ...options, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', (err) => reject(new Error(`the pod's answer broke off (${(err as NodeJS.ErrnoException).code ?? err.message})`)))
      res.on('end', () => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) resolve(Buffer.concat(chunks).toString('utf8'))
        else reject(new Error(`the pod proxy answered ${status}`))
      })
    })
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.name === 'AbortError' || err.code === 'ABORT_ERR'
            ? `no answer within ${timeoutMs} ms`
            : `cannot reach the pod proxy (${err.code ?? err.message})`,
        ),
      ),
    )
    req.end()
  })
}
