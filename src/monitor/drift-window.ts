import type { Breach } from './drift-alerts.js'
import { binCounts, decileEdges, ksDistance, psi } from './drift.js'
import type { Row } from './request-rows.js'

/** The parts of a training `data_profile.json` (train/profile.ts, format wharf-data-profile/1) drift needs. */
export interface ProfileColumn {
  readonly name: string
  readonly type: string
  readonly histogram?: { readonly edges: readonly number[]; readonly counts: readonly number[] } | null
}

export interface FeatureDrift {
  readonly name: string
  readonly psi: number | null
  readonly ks: number | null
  /** Live rows in the window with a number for this feature. */
  readonly rows: number
}

export interface DriftStats {
  readonly features: readonly FeatureDrift[]
  /** PSI of the window's predictions against the version's first full window (its baseline). */
  readonly prediction: { readonly psi: number | null; readonly rows: number; readonly baselineRows: number }
  readonly window: {
    readonly rows: number
    readonly capacity: number
    readonly rowsSeen: number
    readonly fromTime: number | null
    readonly toTime: number | null
  }
}

/** A version's drift with the environment's thresholds, as the API, the gauges and the alerts use it. */
export interface DriftReport extends DriftStats {
  readonly environment: string
  readonly model: string
  readonly version: string
  readonly thresholds: { readonly psi: number; readonly ks: number; readonly minRows: number }
  /** What passes a threshold now (judged once the window holds `minRows` rows). */
  readonly breaches: readonly Breach[]
}

/** A fixed-size ring of numbers, oldest overwritten first. */
class Ring {
  readonly #values: Float64Array
  #next = 0
  #size = 0
  constructor(capacity: number) {
    this.#values = new Float64Array(capacity)
  }
  push(v: number): void {
    this.#values[this.#next] = v
    this.#next = (this.#next + 1) % this.#values.length
    this.#size = Math.min(this.#size + 1, this.#values.length)
  }
  get size(): number {
    return this.#size
  }
  values(): number[] {
    return Array.from(this.#values.subarray(0, this.#size))
  }
}

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN)
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null)

/**
 * The latest `capacity` live rows of one deployed version, beside its training profile. Only
 * numeric profiled features are tracked (a string feature has no histogram to compare with). There
 * is no training histogram of predictions, so the first `capacity` predictions the version answered
 * are its baseline, as a production baseline is in Azure ML's monitors.
 */
export class DriftWindow {
  readonly #columns: readonly { readonly name: string; readonly edges: readonly number[]; readonly counts: readonly number[] }[]
  readonly #features = new Map<string, Ring>()
  readonly #predictions: Ring
  readonly #baseline: number[] = []
  readonly #times: Ring
  #rowsSeen = 0

  constructor(
    columns: readonly ProfileColumn[],
    readonly capacity: number,
  ) {
    this.#columns = columns.flatMap((c) =>
      c.type === 'numeric' && c.histogram ? [{ name: c.name, edges: c.histogram.edges, counts: c.histogram.counts }] : [],
    )
    for (const c of this.#columns) this.#features.set(c.name, new Ring(capacity))
    this.#predictions = new Ring(capacity)
    this.#times = new Ring(capacity)
  }

  /** Adds one request's rows and predictions (the same count, or predictions left out). */
  add(time: number, rows: readonly Row[], predictions: readonly number[] | undefined): void {
    for (const [n, row] of rows.entries()) {
      for (const [name, ring] of this.#features) ring.push(toNumber(row[name]))
      const p = predictions?.[n]
      if (p !== undefined) {
        this.#predictions.push(p)
        if (this.#baseline.length < this.capacity) this.#baseline.push(p)
      }
      this.#times.push(time)
      this.#rowsSeen++
    }
  }

  get rows(): number {
    return this.#times.size
  }

  stats(): DriftStats {
    const features = this.#columns.map((c) => {
      const values = this.#features.get(c.name)!.values()
      const live = binCounts(c.edges, values)
      const rows = live.reduce((a, b) => a + b, 0)
      return { name: c.name, psi: rows === 0 ? null : finite(psi(c.counts, live)), ks: rows === 0 ? null : finite(ksDistance(c.edges, c.counts, values)), rows }
    })
    const current = this.#predictions.values()
    const times = this.#times.values()
    // Judged only once the baseline is full: until then the window and the baseline are mostly the same rows.
    const isBaselineFull = this.#baseline.length >= this.capacity
    const edges = isBaselineFull ? decileEdges(this.#baseline) : undefined
    const predictionPsi = edges ? finite(psi(binCounts(edges, this.#baseline), binCounts(edges, current))) : null
    return {
      features,
      prediction: { psi: predictionPsi, rows: current.length, baselineRows: this.#baseline.length },
      window: {
        rows: times.length,
        capacity: this.capacity,
        rowsSeen: this.#rowsSeen,
        fromTime: times.length ? times.reduce((a, b) => Math.min(a, b)) : null,
        toTime: times.length ? times.reduce((a, b) => Math.max(a, b)) : null,
      },
    }
  }
}
