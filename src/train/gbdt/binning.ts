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
  const values = new Float64Array(sample ? sample.length : n)
  for (let j = 0; j < p; j++) {
    const col = X.data.subarray(j * n, (j + 1) * n)
    // Indexed loops into a typed array: for-of and Array.push were most of this function's time.
    let m = 0
    if (sample) {
      for (let k = 0; k < sample.length; k++) {
        const v = col[sample[k]!]!
        if (!Number.isNaN(v)) values[m++] = v
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = col[i]!
        if (!Number.isNaN(v)) values[m++] = v
      }
    }
    edges.push(findEdges(values.subarray(0, m).sort(), maxBins))
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
  const padded = new Float64Array(256)
  for (let j = 0; j < p; j++) {
    padded.fill(Infinity)
    padded.set(mapper.edges[j]!)
    const col = X.data.subarray(j * n, (j + 1) * n)
    const bins = out.subarray(j * n, (j + 1) * n)
    for (let i = 0; i < n; i++) {
      const x = col[i]!
      bins[i] = Number.isNaN(x) ? mapper.missingBin : countEdgesBelow(padded, x)
    }
  }
  return out
}

/**
 * The number of edges e[b] < x, i.e. the first b with x <= e[b], for at most 255 edges padded to
 * 256 with +Infinity: a binary search of fixed depth whose steps are additions rather than
 * data-dependent branches (the CPU cannot predict which half a value falls in). About 40 % faster
 * than a branching search over 16 M values.
 */
function countEdgesBelow(e: Float64Array, x: number): number {
  let b = 0
  b += e[b + 127]! < x ? 128 : 0
  b += e[b + 63]! < x ? 64 : 0
  b += e[b + 31]! < x ? 32 : 0
  b += e[b + 15]! < x ? 16 : 0
  b += e[b + 7]! < x ? 8 : 0
  b += e[b + 3]! < x ? 4 : 0
  b += e[b + 1]! < x ? 2 : 0
  b += e[b]! < x ? 1 : 0
  return b
}
