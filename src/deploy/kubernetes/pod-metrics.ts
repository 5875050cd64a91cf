import type { MetricsSource } from '../metrics-source.js'
import type { EndpointScope } from './endpoint-rollout.js'
import { servePort } from './manifests.js'

/** The header serving pods take the metrics-only key in (api-keys.ts): the pod proxy drops Authorization. */
export const metricsKeyHeader = 'x-wharf-metrics-key'

/**
 * Every serving pod of an endpoint as a /metrics source, read through the API server's pod proxy
 * (`GET /api/v1/namespaces/NS/pods/POD:8080/proxy/metrics`). Why the proxy: the control plane already
 * talks to the API server with the environment's kubeconfig and is usually outside the cluster, where
 * pod IPs are not routable; the version Services would balance the scrapes over the pods instead of
 * reaching each one; and a port-forward per pod per scrape would be a stream per pod to hold open. The
 * caller needs `get` on `pods/proxy` in the namespace besides what deploys already need.
 *
 * Only Running pods are read (a Pending pod has no counters yet). A pod's key changes when its
 * container restarts, as its counters start again then.
 */
export async function podMetricsSources(scope: EndpointScope, roles: ReadonlyMap<string, string>, metricsKey: string): Promise<MetricsSource[]> {
  const { api, env, names } = scope
  const pods = await api.list('v1', 'Pod', env.namespace, `${names.selector},app.kubernetes.io/component=serve`)
  const headers = { [metricsKeyHeader]: metricsKey }
  return pods
    .filter((pod) => pod.status?.phase === 'Running')
    .flatMap((pod) => {
      const version = pod.metadata.labels?.['wharf.io/model-version']
      if (version === undefined) return []
      const name = pod.metadata.name
      const restarts = pod.status?.containerStatuses?.[0]?.restartCount ?? 0
      return [
        {
          key: `pod:${pod.metadata.uid ?? name}#${restarts}`,
          version,
          role: roles.get(version) ?? 'standby',
          url: `${api.server}/api/v1/namespaces/${env.namespace}/pods/${name}:${servePort}/proxy`,
          read: (timeoutMs: number) => api.proxyGet(env.namespace, name, servePort, '/metrics', headers, timeoutMs),
        },
      ]
    })
}
