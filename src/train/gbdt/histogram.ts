/**
 * Row-wise gradient histograms over packed bin codes.
 *
 * Bins are packed four to a 32-bit word, row after row (`packBins`): one load brings four features'
 * bins, and V8 checks one index instead of four. This made the histogram loop, most of a GBDT fit,
 * about 25 % faster than reading bytes (800,000 × 20 micro-benchmark).
 *
 * A histogram holds `width` doubles per (feature, bin): [gradient sum, hessian sum, count] in
 * general, or [gradient sum, count] when every hessian is 1 (squared error), where the count is the
 * hessian sum and accumulating both would only cost time. Either way the count is the last slot.
 */
export interface PackedBins {
  readonly words: Uint32Array
  readonly wordsPerRow: number
  /** Features rounded up to a multiple of 4; the padding features always hold bin 0. */
  readonly paddedFeatures: number
}

/** Packs column-major bin codes (feature j at [j*rows, (j+1)*rows)) into per-row words. */
export function packBins(binsByFeature: Uint8Array, rows: number, features: number): PackedBins {
  const wordsPerRow = Math.ceil(features / 4)
  const words = new Uint32Array(rows * wordsPerRow)
  for (let j = 0; j < features; j++) {
    const column = binsByFeature.subarray(j * rows, (j + 1) * rows)
    const w = j >> 2
    const shift = (j & 3) * 8
    for (let i = 0; i < rows; i++) words[i * wordsPerRow + w] = words[i * wordsPerRow + w]! | (column[i]! << shift)
  }
  return { words, wordsPerRow, paddedFeatures: wordsPerRow * 4 }
}

export function histogramSize(bins: PackedBins, binCount: number, width: 2 | 3): number {
  return bins.paddedFeatures * binCount * width
}

/**
 * Adds rows order[start, end) to `hist` (zeroed here). `hessians` undefined means all ones and a
 * width-2 histogram. Rows are added in order, so sums are the same as a one-row-at-a-time loop.
 * `counts`, when the caller already knows the rows' bin counts (`binCounts` of an earlier
 * histogram of the same rows), are copied in instead of being counted again.
 */
export function buildHistogram(
  hist: Float64Array,
  bins: PackedBins,
  binCount: number,
  order: Uint32Array,
  start: number,
  end: number,
  gradients: Float64Array,
  hessians: Float64Array | undefined,
  counts?: Float64Array,
): void {
  hist.fill(0)
  const width = hessians === undefined ? 2 : 3
  if (counts === undefined) {
    if (hessians === undefined) addGradientsAndCounts(hist, bins, binCount * 2, order, start, end, gradients)
    else addGradientsHessiansAndCounts(hist, bins, binCount * 3, order, start, end, gradients, hessians)
    return
  }
  if (hessians === undefined) addGradients(hist, bins, binCount * 2, order, start, end, gradients)
  else addGradientsAndHessians(hist, bins, binCount * 3, order, start, end, gradients, hessians)
  for (let c = 0, k = width - 1; c < counts.length; c++, k += width) hist[k] = counts[c]!
}

/** The count slot of every (feature, bin) of a histogram built by `buildHistogram`. */
export function binCounts(hist: Float64Array, width: 2 | 3): Float64Array {
  const counts = new Float64Array(hist.length / width)
  for (let c = 0, k = width - 1; c < counts.length; c++, k += width) counts[c] = hist[k]!
  return counts
}

// The two kernels are written out four features per word, rather than sharing a loop with a
// `width` variable, so that each stays a straight sequence of loads and adds for the JIT.
// The four kernels below differ only in which cells they update. They are written out rather than
// one loop with flags: the loop is most of a fit, and a flag tested for every update is work these
// do not do (and a branch V8 does not hoist out of the inner loop).
function addGradientsAndCounts(
  hist: Float64Array,
  bins: PackedBins,
  stride: number,
  order: Uint32Array,
  start: number,
  end: number,
  gradients: Float64Array,
): void {
  const { words, wordsPerRow } = bins
  const stride4 = stride * 4
  for (let i = start; i < end; i++) {
    const row = order[i]!
    const g = gradients[row]!
    for (let w = row * wordsPerRow, last = w + wordsPerRow, off = 0; w < last; w++, off += stride4) {
      const word = words[w]!
      let k = off + (word & 255) * 2
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + 1
      k = off + stride + ((word >>> 8) & 255) * 2
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + 1
      k = off + 2 * stride + ((word >>> 16) & 255) * 2
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + 1
      k = off + 3 * stride + (word >>> 24) * 2
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + 1
    }
  }
}

function addGradientsHessiansAndCounts(
  hist: Float64Array,
  bins: PackedBins,
  stride: number,
  order: Uint32Array,
  start: number,
  end: number,
  gradients: Float64Array,
  hessians: Float64Array,
): void {
  const { words, wordsPerRow } = bins
  const stride4 = stride * 4
  for (let i = start; i < end; i++) {
    const row = order[i]!
    const g = gradients[row]!
    const h = hessians[row]!
    for (let w = row * wordsPerRow, last = w + wordsPerRow, off = 0; w < last; w++, off += stride4) {
      const word = words[w]!
      let k = off + (word & 255) * 3
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + h
      hist[k + 2] = hist[k + 2]! + 1
      k = off + stride + ((word >>> 8) & 255) * 3
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + h
      hist[k + 2] = hist[k + 2]! + 1
      k = off + 2 * stride + ((word >>> 16) & 255) * 3
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + h
      hist[k + 2] = hist[k + 2]! + 1
      k = off + 3 * stride + (word >>> 24) * 3
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + h
      hist[k + 2] = hist[k + 2]! + 1
    }
  }
}

function addGradients(hist: Float64Array, bins: PackedBins, stride: number, order: Uint32Array, start: number, end: number, gradients: Float64Array): void {
  const { words, wordsPerRow } = bins
  const stride4 = stride * 4
  for (let i = start; i < end; i++) {
    const row = order[i]!
    const g = gradients[row]!
    for (let w = row * wordsPerRow, last = w + wordsPerRow, off = 0; w < last; w++, off += stride4) {
      const word = words[w]!
      let k = off + (word & 255) * 2
      hist[k] = hist[k]! + g
      k = off + stride + ((word >>> 8) & 255) * 2
      hist[k] = hist[k]! + g
      k = off + 2 * stride + ((word >>> 16) & 255) * 2
      hist[k] = hist[k]! + g
      k = off + 3 * stride + (word >>> 24) * 2
      hist[k] = hist[k]! + g
    }
  }
}

function addGradientsAndHessians(
  hist: Float64Array,
  bins: PackedBins,
  stride: number,
  order: Uint32Array,
  start: number,
  end: number,
  gradients: Float64Array,
  hessians: Float64Array,
): void {
  const { words, wordsPerRow } = bins
  const stride4 = stride * 4
  for (let i = start; i < end; i++) {
    const row = order[i]!
    const g = gradients[row]!
    const h = hessians[row]!
    for (let w = row * wordsPerRow, last = w + wordsPerRow, off = 0; w < last; w++, off += stride4) {
      const word = words[w]!
      let k = off + (word & 255) * 3
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + h
      k = off + stride + ((word >>> 8) & 255) * 3
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + h
      k = off + 2 * stride + ((word >>> 16) & 255) * 3
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + h
      k = off + 3 * stride + (word >>> 24) * 3
      hist[k] = hist[k]! + g
      hist[k + 1] = hist[k + 1]! + h
    }
  }
}
