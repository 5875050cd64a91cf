/**
 * Prometheus metrics for the scoring server, kept by hand rather than with prom-client: the hot
 * path does one Map lookup and a few additions, and a snapshot is plain JSON that the cluster
 * primary can sum across workers (see serve-workers.ts). Exposition format 0.0.4.
 */
const bucketsSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface Series {
  readonly route: string
  readonly status: number
  readonly version: string
  count: number
  sumSeconds: number
  readonly buckets: number[]
}

export interface MetricsSnapshot {
  readonly model: string
  readonly series: readonly Series[]
  readonly inflight: number
  /** version → seconds to load and warm up */
  readonly loadSeconds: Readonly<Record<string, number>>
  readonly serving: { readonly version: string; readonly backend: string } | undefined
}

export class ServingMetrics {
  readonly #model: string
  readonly #series = new Map<string, Series>()
  /** The series the previous request counted in: nearly every request counts in the same one. */
  #last: Series | undefined
  readonly #loadSeconds: Record<string, number> = {}
  #serving: MetricsSnapshot['serving']
  inflight = 0

  constructor(model: string) {
    this.#model = model
  }

  observe(route: string, version: string | undefined, status: number, seconds: number): void {
    const v = version ?? ''
    let s = this.#last
    if (s === undefined || s.route !== route || s.status !== status || s.version !== v) {
      const key = `${route}\0${status}\0${v}`
      s = this.#series.get(key)
      if (s === undefined) {
        s = { route, status, version: v, count: 0, sumSeconds: 0, buckets: bucketsSeconds.map(() => 0) }
        this.#series.set(key, s)
      }
      this.#last = s
    }
    s.count++
    s.sumSeconds += seconds
    // Cumulative buckets are computed when rendering; here only the first bucket that fits counts.
    let b = 0
    while (b < bucketsSeconds.length && seconds > bucketsSeconds[b]!) b++
    if (b < bucketsSeconds.length) s.buckets[b]!++
  }

  modelLoaded(version: string | undefined, backend: string, seconds: number): void {
    this.#loadSeconds[version ?? ''] = seconds
    this.#serving = { version: version ?? '', backend }
  }

  snapshot(): MetricsSnapshot {
    return { model: this.#model, series: [...this.#series.values()], inflight: this.inflight, loadSeconds: { ...this.#loadSeconds }, serving: this.#serving }
  }
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** Renders one or more snapshots (one per worker) as one exposition, summing counters. */
export function renderMetrics(snapshots: readonly MetricsSnapshot[]): string {
  const model = esc(snapshots[0]?.model ?? '')
  const merged = new Map<string, Series>()
  for (const snap of snapshots) for (const s of snap.series) addInto(merged, `${s.route}\0${s.status}\0${s.version}`, s)
  const lines: string[] = []
  lines.push('# HELP wharf_serving_requests_total Requests answered, by route, model, version and HTTP status.', '# TYPE wharf_serving_requests_total counter')
  for (const s of merged.values())
    lines.push(`wharf_serving_requests_total{route="${esc(s.route)}",model="${model}",version="${esc(s.version)}",status="${s.status}"} ${s.count}`)
  lines.push(
    '# HELP wharf_serving_request_duration_seconds Time from request start to response end.',
    '# TYPE wharf_serving_request_duration_seconds histogram',
  )
  const byRoute = new Map<string, Series>()
  for (const s of merged.values()) addInto(byRoute, `${s.route}\0${s.version}`, s)
  for (const s of byRoute.values()) {
    const labels = `route="${esc(s.route)}",model="${model}",version="${esc(s.version)}"`
    let cumulative = 0
    bucketsSeconds.forEach((le, i) => {
      cumulative += s.buckets[i]!
      lines.push(`wharf_serving_request_duration_seconds_bucket{${labels},le="${le}"} ${cumulative}`)
    })
    lines.push(`wharf_serving_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`)
    lines.push(`wharf_serving_request_duration_seconds_sum{${labels}} ${s.sumSeconds}`, `wharf_serving_request_duration_seconds_count{${labels}} ${s.count}`)
  }
  lines.push('# HELP wharf_serving_requests_in_flight Requests being handled now.', '# TYPE wharf_serving_requests_in_flight gauge')
  lines.push(`wharf_serving_requests_in_flight{model="${model}"} ${snapshots.reduce((n, s) => n + s.inflight, 0)}`)
  lines.push(
    '# HELP wharf_serving_model_load_seconds Time to load and warm up a model version (the slowest worker).',
    '# TYPE wharf_serving_model_load_seconds gauge',
  )
  const load: Record<string, number> = {}
  for (const snap of snapshots) for (const [v, sec] of Object.entries(snap.loadSeconds)) load[v] = Math.max(load[v] ?? 0, sec)
  for (const [v, sec] of Object.entries(load)) lines.push(`wharf_serving_model_load_seconds{model="${model}",version="${esc(v)}"} ${sec}`)
  lines.push('# HELP wharf_serving_model_info The version each worker serves (value: number of workers).', '# TYPE wharf_serving_model_info gauge')
  const info = new Map<string, number>()
  for (const snap of snapshots) {
    if (snap.serving === undefined) continue
    const labels = `version="${esc(snap.serving.version)}",backend="${snap.serving.backend}"`
    info.set(labels, (info.get(labels) ?? 0) + 1)
  }
  for (const [labels, n] of info) lines.push(`wharf_serving_model_info{model="${model}",${labels}} ${n}`)
  return `${lines.join('\n')}\n`
}

function addInto(map: Map<string, Series>, key: string, s: Series): void {
  let m = map.get(key)
  if (m === undefined) {
    m = { ...s, count: 0, sumSeconds: 0, buckets: bucketsSeconds.map(() => 0) }
    map.set(key, m)
  }
  m.count += s.count
  m.sumSeconds += s.sumSeconds
  for (let i = 0; i < s.buckets.length; i++) m.buckets[i]! += s.buckets[i]!
}
