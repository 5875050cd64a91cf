import { type MetricsSource, parseServingMetrics, type ServingCounters } from '../deploy/index.js'

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const le = (bound: number) => (bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound))

/** One deployment and where its instances' /metrics pages are (processes, containers, pods). */
export interface EndpointSources {
  readonly environment: string
  readonly modelName: string
  readonly sources: readonly MetricsSource[]
}

/**
 * Endpoint metrics across every instance of a deployment, for the control plane's /metrics: each
 * instance's own /metrics (`wharf serve`'s prediction-route counters and latency histogram: local
 * processes, containers and Kubernetes pods alike) is scraped and summed per (model, environment,
 * version). Prometheus then needs one target, the server, rather than one per serving process or
 * pod, whose addresses change on every deploy. A restarted instance starts its counters again;
 * `rate()` takes that as a counter reset. An instance that does not answer within the timeout is
 * left out of the sums and counted in `wharf_endpoint_scrape_errors`; the others' numbers stand.
 */
export async function renderEndpointMetrics(endpoints: readonly EndpointSources[], timeoutMs = 1000): Promise<string> {
  const byVersion = new Map<string, { labels: string; counters: ServingCounters[] }>()
  let scrapeErrors = 0
  await Promise.all(
    endpoints.flatMap((e) =>
      e.sources.map(async (source) => {
        let text: string
        try {
          text = await source.read(timeoutMs)
        } catch {
          scrapeErrors++
          return
        }
        const key = `${e.environment}\u0000${e.modelName}\u0000${source.version}`
        const entry = byVersion.get(key) ?? {
          labels: `model="${label(e.modelName)}",environment="${label(e.environment)}",version="${label(source.version)}"`,
          counters: [],
        }
        entry.counters.push(parseServingMetrics(text))
        byVersion.set(key, entry)
      }),
    ),
  )
  const requests: string[] = []
  const errors: string[] = []
  const clientErrors: string[] = []
  const buckets: string[] = []
  for (const { labels, counters } of byVersion.values()) {
    requests.push(`wharf_endpoint_requests_total{${labels}} ${counters.reduce((s, c) => s + c.requests, 0)}`)
    errors.push(`wharf_endpoint_errors_total{${labels}} ${counters.reduce((s, c) => s + c.errors, 0)}`)
    clientErrors.push(`wharf_endpoint_client_errors_total{${labels}} ${counters.reduce((s, c) => s + c.clientErrors, 0)}`)
    const summed = new Map<number, number>()
    for (const c of counters) for (const [bound, n] of c.buckets) summed.set(bound, (summed.get(bound) ?? 0) + n)
    const sorted = [...summed].sort((a, b) => a[0] - b[0])
    for (const [bound, n] of sorted) buckets.push(`wharf_endpoint_request_duration_seconds_bucket{${labels},le="${le(bound)}"} ${n}`)
    buckets.push(`wharf_endpoint_request_duration_seconds_count{${labels}} ${sorted.at(-1)?.[1] ?? 0}`)
  }
  return [
    '# HELP wharf_endpoint_requests_total Prediction requests answered by a deployed version, summed over its instances.',
    '# TYPE wharf_endpoint_requests_total counter',
    ...requests,
    '# HELP wharf_endpoint_errors_total Prediction requests answered with a 5xx status, summed over the instances.',
    '# TYPE wharf_endpoint_errors_total counter',
    ...errors,
    // Refused requests (bad input, no key): what the monitor gate counts with count_4xx.
    '# HELP wharf_endpoint_client_errors_total Prediction requests answered with a 4xx status, summed over the instances.',
    '# TYPE wharf_endpoint_client_errors_total counter',
    ...clientErrors,
    '# HELP wharf_endpoint_request_duration_seconds Time to answer a prediction request in the serving process, summed over the instances.',
    '# TYPE wharf_endpoint_request_duration_seconds histogram',
    ...buckets,
    '# HELP wharf_endpoint_scrape_errors Serving instances that did not answer /metrics in this scrape.',
    '# TYPE wharf_endpoint_scrape_errors gauge',
    `wharf_endpoint_scrape_errors ${scrapeErrors}`,
    '',
  ].join('\n')
}
