import type { Matrix } from '../preprocessing.js'
import { shuffledIndices } from '../split.js'

/**
 * Per-feature bin edges, as scikit-learn's `_BinMapper`: up to `maxBins` bins for non-missing values
 * (midpoints between distinct values when few, else percentile midpoints of a ≤200,000-row
 * subsample), and one more bin, index `maxBins`, for missing values. Edges are rounded to float32
 * so that an exported ONNX tree ensemble (float thresholds) sends every value the same way as here.
 * A value x falls in bin b when edges[b-1] < x <= edges[b].
 */
export interface BinMapper {
  readonly edges: readonly Float64Array[]
  readonly missingBin: number
}

const subsampleSize = 200_000

export function fitBinMapper(X: Matrix, maxBins: number, seed: number): BinMapper {
  if (!(maxBins >= 2 && maxBins <= 255)) throw new Error(`max_bins must be between 2 and 255, got ${maxBins}`)
  const { rows: n, cols: p } = X
  const sample = n > subsampleSize ? shuffledIndices(n, seed).subarray(0, subsampleSize) : undefined
  const edges: Float64Array[] = []
  for (let j = 0; j < p; j++) {
    const col = X.data.subarray(j * n, (j + 1) * n)
    const values: number[] = []
    if (sample) for (const i of sample) (Number.isNaN(col[i]!) ? 0 : values.push(col[i]!))
    else for (let i = 0; i < n; i++) if (!Number.isNaN(col[i]!)) values.push(col[i]!)
    const sorted = Float64Array.from(values).sort()
    edges.push(findEdges(sorted, maxBins))
  }
  return { edges, missingBin: maxBins }
}

function findEdges(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct: number[] = []
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!)
  let raw: number[]
  if (distinct.length <= maxBins) {
    raw = []
    for (let i = 0; i + 1 < distinct.length; i++) raw.push((distinct[i]! + distinct[i + 1]!) / 2)
  } else {
    // np.percentile(values, linspace(0, 100, maxBins + 1)[1:-1], method='midpoint')
    raw = []
    const m = sorted.length
    for (let k = 1; k < maxBins; k++) {
      const pos = (k / maxBins) * (m - 1)
      const lo = Math.floor(pos)
      const hi = Math.ceil(pos)
      raw.push((sorted[lo]! + sorted[hi]!) / 2)
    }
  }
  const out: number[] = []
  for (const e of raw) {
    const f = Math.fround(e)
    if (Number.isFinite(f) && (out.length === 0 || f > out[out.length - 1]!)) out.push(f)
  }
  return Float64Array.from(out)
}

/** Bin codes, column-major like the matrix (feature j at [j*n, (j+1)*n)). */
export function binMatrix(mapper: BinMapper, X: Matrix): Uint8Array {
  const { rows: n, cols: p } = X
  const out = new Uint8Array(n * p)
  for (let j = 0; j < p; j++) {
    const e = mapper.edges[j]!
    for (let i = 0; i < n; i++) {
      const x = X.data[j * n + i]!
      out[j * n + i] = Number.isNaN(x) ? mapper.missingBin : lowerBound(e, x)
    }
  }
  return out
}

/** First index b with x <= e[b], or e.length. */
function lowerBound(e: Float64Array, x: number): number {
  let lo = 0
  let hi = e.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (e[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}
