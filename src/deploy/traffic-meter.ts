import { setTimeout as sleep } from 'node:timers/promises'
import type { MetricsSource } from './metrics-source.js'

/** Routes that answer predictions (gRPC's ModelInfer among them); probes and /metrics itself are not traffic. */
const predictionRoute = /^\/(invocations|score)$|:predict$|\/infer$|\/ModelInfer$/

/** One scrape of a serving process: prediction requests so far and their latency histogram. */
export interface ServingCounters {
  readonly requests: number
  /** Answered 5xx: the endpoint failed. */
  readonly errors: number
  /** Answered 4xx: the request was refused (bad input, no key, too large...). */
  readonly clientErrors: number
  /** Cumulative counts by upper bound in seconds, ascending, ending with +Inf. */
  readonly buckets: readonly (readonly [number, number])[]
}

/** Scrapes kept per process, however often the page asks. */
const maxSamples = 120

// Label values may hold braces (route="/v2/models/{name}/infer"): match quoted strings whole.
const sampleLine = /^(\w+)\{((?:\w+="(?:[^"\\]|\\.)*",?)*)\}\s+(\S+)$/
const labelPair = /(\w+)="((?:[^"\\]|\\.)*)"/g

/**
 * Reads `wharf serve`'s /metrics (Prometheus text 0.0.4, serving/metrics.ts): the prediction
 * routes' request counters and latency buckets, summed over routes and versions.
 */
export function parseServingMetrics(text: string): ServingCounters {
  let requests = 0
  let errors = 0
  let clientErrors = 0
  const buckets = new Map<number, number>()
  for (const line of text.split('\n')) {
    const m = sampleLine.exec(line)
    if (!m) continue
    const labels = Object.fromEntries([...m[2]!.matchAll(labelPair)].map((p) => [p[1]!, p[2]!]))
    if (!predictionRoute.test(labels.route ?? '')) continue
    const value = Number(m[3])
    if (m[1] === 'wharf_serving_requests_total') {
      requests += value
      const status = Number(labels.status)
      if (status >= 500) errors += value
      else if (status >= 400) clientErrors += value
    } else if (m[1] === 'wharf_serving_request_duration_seconds_bucket') {
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le)
      buckets.set(le, (buckets.get(le) ?? 0) + value)
    }
  }
  return { requests, errors, clientErrors, buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]) }
}

/**
 * The q-quantile of the requests counted between two scrapes, interpolated inside its bucket as
 * Prometheus' histogram_quantile does. Undefined when no request was counted.
 */
export function quantileSeconds(q: number, before: ServingCounters, after: ServingCounters): number | undefined {
  const earlier = new Map(before.buckets)
  const deltas = after.buckets.map(([le, n]) => [le, n - (earlier.get(le) ?? 0)] as const)
  const total = deltas.at(-1)?.[1] ?? 0
  if (total <= 0) return undefined
  const rank = q * total
  let lowerBound = 0
  let lowerCount = 0
  for (const [le, cumulative] of deltas) {
    if (cumulative >= rank) {
      // Past the last finite bound Prometheus answers that bound; so do we.
      if (le === Infinity) return lowerBound
      const inBucket = cumulative - lowerCount
      return lowerBound + (le - lowerBound) * (inBucket === 0 ? 1 : (rank - lowerCount) / inBucket)
    }
    lowerBound = le
    lowerCount = cumulative
  }
  return lowerBound
}

interface Sample {
  readonly timeMs: number
  readonly counters: ServingCounters
}

export interface InstanceTraffic {
  readonly version: string
  readonly role: string
  readonly url: string
  /** Undefined while the first window is being measured or the process does not answer. */
  readonly requestsPerSecond?: number | undefined
  readonly errorsPerSecond?: number | undefined
  readonly clientErrorsPerSecond?: number | undefined
  readonly p50Ms?: number | undefined
  readonly p99Ms?: number | undefined
  readonly requestsTotal?: number | undefined
  readonly windowSeconds?: number | undefined
  readonly error?: string | undefined
}

export interface TrafficMeterOptions {
  /** Rates are measured over at most this much of the past. */
  readonly windowMs?: number
  /** With no earlier scrape, wait this long and scrape again rather than answer nothing. */
  readonly firstWindowMs?: number
  readonly timeoutMs?: number
  readonly now?: () => number
}

/**
 * Live request rate and latency of deployed versions, from their serving processes' /metrics.
 * Keeps a few recent scrapes per process, so each answer covers the last `windowMs` (30 s) at most.
 */
export class TrafficMeter {
  readonly #samples = new Map<string, Sample[]>()
  readonly #windowMs: number
  readonly #firstWindowMs: number
  readonly #timeoutMs: number
  readonly #now: () => number

  constructor(options: TrafficMeterOptions = {}) {
    this.#windowMs = options.windowMs ?? 30_000
    this.#firstWindowMs = options.firstWindowMs ?? 1000
    this.#timeoutMs = options.timeoutMs ?? 1000
    this.#now = options.now ?? Date.now
  }

  /** Measures each instance from its /metrics (see metrics-source.ts: local processes and pods alike). */
  async measure(sources: readonly MetricsSource[]): Promise<InstanceTraffic[]> {
    this.#forgetGone()
    // A restarted process starts its counters again: its samples are keyed by its run (MetricsSource.key).
    const scraped = await Promise.all(sources.map((s) => this.#scrape(s)))
    if (scraped.some((s, n) => s.ok && this.#baseline(sources[n]!.key) === undefined)) {
      await sleep(this.#firstWindowMs)
      await Promise.all(sources.map((s) => this.#scrape(s)))
    }
    return sources.map((source, n) => {
      const base = { version: source.version, role: source.role, url: source.url }
      const failure = scraped[n]!
      if (!failure.ok) return { ...base, error: failure.error }
      const samples = this.#samples.get(source.key) ?? []
      const latest = samples.at(-1)!
      const first = this.#baseline(source.key)
      if (first === undefined) return { ...base, requestsTotal: latest.counters.requests }
      const seconds = (latest.timeMs - first.timeMs) / 1000
      const toMs = (s: number | undefined) => (s === undefined ? undefined : s * 1000)
      return {
        ...base,
        requestsTotal: latest.counters.requests,
        windowSeconds: seconds,
        requestsPerSecond: (latest.counters.requests - first.counters.requests) / seconds,
        errorsPerSecond: (latest.counters.errors - first.counters.errors) / seconds,
        clientErrorsPerSecond: (latest.counters.clientErrors - first.counters.clientErrors) / seconds,
        p50Ms: toMs(quantileSeconds(0.5, first.counters, latest.counters)),
        p99Ms: toMs(quantileSeconds(0.99, first.counters, latest.counters)),
      }
    })
  }

  /** Drops the samples of processes no longer scraped (stopped versions, restarted processes). */
  #forgetGone(): void {
    const now = this.#now()
    for (const [key, samples] of this.#samples) if (now - samples.at(-1)!.timeMs > this.#windowMs) this.#samples.delete(key)
  }

  /** The oldest scrape in the window that is at least half a first window older than the latest. */
  #baseline(key: string): Sample | undefined {
    const samples = this.#samples.get(key) ?? []
    const latest = samples.at(-1)
    if (latest === undefined) return undefined
    return samples.find((s) => latest.timeMs - s.timeMs >= this.#firstWindowMs / 2)
  }

  async #scrape(source: MetricsSource): Promise<{ ok: true } | { ok: false; error: string }> {
    let text: string
    try {
      text = await source.read(this.#timeoutMs)
    } catch (err) {
      return { ok: false, error: (err as Error).message }
    }
    const now = this.#now()
    const kept = (this.#samples.get(source.key) ?? []).filter((s) => now - s.timeMs <= this.#windowMs).slice(-maxSamples + 1)
    kept.push({ timeMs: now, counters: parseServingMetrics(text) })
    this.#samples.set(source.key, kept)
    return { ok: true }
  }
}
