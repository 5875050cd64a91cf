import type { KubernetesEnvironment } from '../environments.js'
import type { KubernetesApi, LiveObject } from './kube-api.js'
import type { EndpointNames } from './names.js'

interface ServicePort {
  readonly name?: string
  readonly port: number
  readonly nodePort?: number
}

const withBrackets = (host: string) => (host.includes(':') ? `[${host}]` : host)

/**
 * Where a port of the endpoint's Service is reached, most specific first: a load balancer's address,
 * a node port on the first node's internal address, else the Service's cluster IP (reachable from the
 * cluster's nodes and pods only).
 */
async function addressOf(api: KubernetesApi, env: KubernetesEnvironment, service: LiveObject, port: ServicePort | undefined) {
  const spec = service.spec as { clusterIP?: string }
  if (env.service.type === 'LoadBalancer') {
    const ingress = (service.status?.loadBalancer?.ingress ?? [])[0]
    if (ingress?.ip || ingress?.hostname) return { host: (ingress.ip ?? ingress.hostname)!, port: port?.port }
  }
  if (env.service.type !== 'ClusterIP' && port?.nodePort) {
    const nodes = await api.list('v1', 'Node', '', '')
    const address = (nodes[0]?.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address
    if (address) return { host: address, port: port.nodePort }
  }
  return spec.clusterIP && spec.clusterIP !== 'None' ? { host: spec.clusterIP, port: port?.port } : undefined
}

const readService = (api: KubernetesApi, env: KubernetesEnvironment, names: EndpointNames) =>
  api.read({ apiVersion: 'v1', kind: 'Service', namespace: env.namespace, name: names.base })
const portsOf = (service: LiveObject) => (service.spec as { ports?: ServicePort[] }).ports ?? []

/**
 * Where clients reach the endpoint, most specific first: the environment's `url`, the Ingress host
 * (https with a TLS Secret), else the Service's address (see addressOf).
 */
export async function externalUrlOf(api: KubernetesApi, env: KubernetesEnvironment, names: EndpointNames): Promise<string | undefined> {
  if (env.url) return env.url.replace(/\/+$/, '')
  if (env.ingress) return `${env.ingress.tlsSecret ? 'https' : 'http'}://${env.ingress.host}`
  const service = await readService(api, env, names)
  if (!service) return undefined
  const address = await addressOf(api, env, service, portsOf(service)[0])
  if (!address) return undefined
  return `http://${withBrackets(address.host)}${address.port === undefined || address.port === 80 ? '' : `:${address.port}`}`
}

/**
 * `HOST:PORT` of the endpoint's gRPC port, from the Service only: the environment's `url` and its
 * Ingress are HTTP front doors, which pass gRPC only when configured for it (say so with your own
 * gateway's address).
 */
export async function grpcAddressOf(api: KubernetesApi, env: KubernetesEnvironment, names: EndpointNames): Promise<string | undefined> {
  const service = await readService(api, env, names)
  const port = service && portsOf(service).find((p) => p.name === 'grpc')
  if (!service || !port) return undefined
  const address = await addressOf(api, env, service, port)
  return address && `${withBrackets(address.host)}:${address.port}`
}
