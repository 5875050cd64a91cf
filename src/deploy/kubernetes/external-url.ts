import type { KubernetesEnvironment } from '../environments.js'
import type { KubernetesApi } from './kube-api.js'
import type { EndpointNames } from './names.js'

/**
 * Where clients reach the endpoint, most specific first: the environment's `url`, the Ingress host
 * (https with a TLS Secret), a load balancer's address, a node port on the first node's internal
 * address, else the Service's cluster IP (reachable from the cluster's nodes and pods only).
 */
export async function externalUrlOf(api: KubernetesApi, env: KubernetesEnvironment, names: EndpointNames): Promise<string | undefined> {
  if (env.url) return env.url.replace(/\/+$/, '')
  if (env.ingress) return `${env.ingress.tlsSecret ? 'https' : 'http'}://${env.ingress.host}`
  const service = await api.read({ apiVersion: 'v1', kind: 'Service', namespace: env.namespace, name: names.base })
  if (!service) return undefined
  const spec = service.spec as { clusterIP?: string; ports?: { port: number; nodePort?: number }[] }
  const port = spec.ports?.[0]
  const withPort = (host: string, p: number | undefined, defaultPort: number) =>
    `http://${host.includes(':') ? `[${host}]` : host}${p === undefined || p === defaultPort ? '' : `:${p}`}`
  if (env.service.type === 'LoadBalancer') {
    const ingress = (service.status?.loadBalancer?.ingress ?? [])[0] as { ip?: string; hostname?: string } | undefined
    if (ingress?.ip || ingress?.hostname) return withPort((ingress.ip ?? ingress.hostname)!, port?.port, 80)
  }
  if (env.service.type !== 'ClusterIP' && port?.nodePort) {
    const nodes = await api.list('v1', 'Node', '', '')
    const address = ((nodes[0]?.status?.addresses ?? []) as { type: string; address: string }[]).find((a) => a.type === 'InternalIP')?.address
    if (address) return withPort(address, port.nodePort, 80)
  }
  return spec.clusterIP && spec.clusterIP !== 'None' ? withPort(spec.clusterIP, port?.port, 80) : undefined
}
