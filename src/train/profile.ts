import type { Table } from './table.js'

export interface NumericProfile {
  readonly name: string
  readonly type: 'numeric'
  readonly count: number
  readonly missing: number
  readonly mean: number | null
  readonly std: number | null
  readonly min: number | null
  readonly quantiles: Readonly<Record<'p01' | 'p05' | 'p25' | 'p50' | 'p75' | 'p95' | 'p99', number>> | null
  readonly max: number | null
  /** Ten equal-width bins from min to max; the reference for drift checks (PSI, KS) later. */
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] } | null
}

export interface StringProfile {
  readonly name: string
  readonly type: 'string'
  readonly count: number
  readonly missing: number
  readonly distinct: number
  /** Most frequent values first, at most 50. */
  readonly top: readonly { readonly value: string; readonly count: number }[]
}

export interface DataProfile {
  readonly format: 'wharf-data-profile/1'
  readonly rowCount: number
  readonly columns: readonly (NumericProfile | StringProfile)[]
}

const histogramBins = 10

/** Per-column statistics of the training features, logged as `data_profile.json`. */
export function profileTable(table: Table): DataProfile {
  const columns = table.columns.map((c): NumericProfile | StringProfile => {
    if (c.kind === 'string') {
      const counts = new Map<string, number>()
      let missing = 0
      for (const v of c.values) v === null ? missing++ : counts.set(v, (counts.get(v) ?? 0) + 1)
      const top = [...counts]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 50)
        .map(([value, count]) => ({ value, count }))
      return { name: c.name, type: 'string', count: c.values.length - missing, missing, distinct: counts.size, top }
    }
    const present = Float64Array.from(c.values.filter((v) => !Number.isNaN(v))).sort()
    const count = present.length
    const missing = c.values.length - count
    if (count === 0) return { name: c.name, type: 'numeric', count, missing, mean: null, std: null, min: null, quantiles: null, max: null, histogram: null }
    let sum = 0
    for (const v of present) sum += v
    const mean = sum / count
    let ss = 0
    for (const v of present) ss += (v - mean) ** 2
    const min = present[0]!
    const max = present[count - 1]!
    const q = (p: number) => quantile(present, p)
    return {
      name: c.name,
      type: 'numeric',
      count,
      missing,
      mean,
      std: Math.sqrt(ss / count),
      min,
      max,
      quantiles: { p01: q(0.01), p05: q(0.05), p25: q(0.25), p50: q(0.5), p75: q(0.75), p95: q(0.95), p99: q(0.99) },
      histogram: histogram(present, min, max),
    }
  })
  return { format: 'wharf-data-profile/1', rowCount: table.rowCount, columns }
}

/** Linear interpolation between order statistics (numpy's default 'linear' method). */
function quantile(sorted: Float64Array, p: number): number {
  const pos = p * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

function histogram(sorted: Float64Array, min: number, max: number) {
  const width = (max - min) / histogramBins
  const edges = Array.from({ length: histogramBins + 1 }, (_, i) => (i === histogramBins ? max : min + i * width))
  const counts = new Array<number>(histogramBins).fill(0)
  for (const v of sorted) {
    const b = width === 0 ? 0 : Math.min(histogramBins - 1, Math.floor((v - min) / width))
    counts[b] = counts[b]! + 1
  }
  return { edges, counts }
}
