import type { KubernetesApi } from './reconcile.js'
import type { Manifest } from './manifests.js'

/**
 * KubernetesApi on @kubernetes/client-node 1.x (2.x needs Node 22), imported only when a
 * kubeconfig is given: the generic object API reads, creates, replaces and deletes any kind.
 */
export async function connectKubernetes(kubeconfig: string, context?: string): Promise<KubernetesApi> {
  const k8s = await import('@kubernetes/client-node')
  const config = new k8s.KubeConfig()
  config.loadFromFile(kubeconfig)
  if (context) config.setCurrentContext(context)
  const objects = k8s.KubernetesObjectApi.makeApiClient(config)
  const header = (kind: string, apiVersion: string, namespace: string, name: string) => ({ apiVersion, kind, metadata: { name, namespace } })
  return {
    read: async (kind, apiVersion, namespace, name) => {
      try {
        return (await objects.read(header(kind, apiVersion, namespace, name))) as unknown as Manifest
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined
        throw err
      }
    },
    create: async (manifest) => {
      await objects.create(manifest as never, undefined, undefined, 'wharf')
    },
    replace: async (manifest, resourceVersion) => {
      await objects.replace({ ...manifest, metadata: { ...manifest.metadata, resourceVersion } } as never, undefined, undefined, 'wharf')
    },
    delete: async (manifest) => {
      await objects.delete(manifest as never)
    },
  }
}
