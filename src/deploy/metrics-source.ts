import type { EndpointStatus } from './endpoint-status.js'

/**
 * One serving instance's /metrics page, however the control plane reaches it: over HTTP for local
 * and container instances, through the Kubernetes API server's pod proxy for pods. The traffic
 * meter (live metrics, the `monitor` gate) and the control plane's /metrics read every instance
 * through this, so both cover every target alike.
 */
export interface MetricsSource {
  /** Names one run of one process: a restarted process gets a new key, since its counters start again. */
  readonly key: string
  readonly version: string
  readonly role: string
  /** Where the page is read (for people: a URL, a pod). */
  readonly url: string
  /** The page's text; rejects with a short reason (no credentials in it) when the instance does not answer. */
  read(timeoutMs: number): Promise<string>
}

/** Reads a local or container instance's /metrics over HTTP; `authorization` is the control plane's scrape key. */
export function httpMetricsSources(endpoint: EndpointStatus, authorization?: string): MetricsSource[] {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
  return endpoint.instances.map((i) => ({
    key: `${i.url}#${i.pid ?? i.containerName ?? ''}#${i.startTime}`,
    version: i.version,
    role: i.role,
    url: i.url,
    read: async (timeoutMs) => {
      let res: Response
      try {
        res = await fetch(`${i.url}/metrics`, { headers, signal: AbortSignal.timeout(timeoutMs) })
      } catch {
        throw new Error('the serving process did not answer /metrics')
      }
      if (!res.ok) throw new Error(`/metrics answered ${res.status}`)
      return res.text()
    },
  }))
}
