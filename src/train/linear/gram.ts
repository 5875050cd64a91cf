import type { ColumnMatrix } from '../preprocessing.js'

/** Rows per block when accumulating the Gram matrix (20 columns × 4096 rows ≈ 660 KB, cache-sized). */
const rowBlock = 4096

/** Column means of X and the mean of y, the centring of scikit-learn's `_preprocess_data` with fit_intercept. */
export function columnMeans(X: ColumnMatrix, y: Float64Array): { xMean: Float64Array; yMean: number } {
  const xMean = new Float64Array(X.cols)
  for (let j = 0; j < X.cols; j++) xMean[j] = mean(X.columns[j]!)
  return { xMean, yMean: mean(y) }
}

function mean(values: Float64Array): number {
  let s = 0
  for (let i = 0; i < values.length; i++) s += values[i]!
  return s / values.length
}

/**
 * Xcᵀ Xc and Xcᵀ yc of the centred data (p × p, both triangles), without a centred copy of X: a
 * block of rows is centred into a cache-sized buffer, and every pair of columns is accumulated from
 * it while it is in cache. Four entries of a Gram row are accumulated together so each value of
 * column a is loaded once for four products. Each entry still sums over the rows in order, so the
 * result is bit-identical to centring first and taking one dot product per pair.
 */
export function centredGram(X: ColumnMatrix, y: Float64Array, xMean: Float64Array, yMean: number): { gram: Float64Array; xty: Float64Array } {
  const { rows: n, cols: p, columns } = X
  const gram = new Float64Array(p * p)
  const xty = new Float64Array(p)
  const block = new Float64Array((p + 1) * rowBlock) // column j of the block at j*rowBlock, y's at p*rowBlock
  const yo = p * rowBlock
  for (let start = 0; start < n; start += rowBlock) {
    const m = Math.min(n, start + rowBlock) - start
    for (let j = 0; j < p; j++) centreInto(block, j * rowBlock, columns[j]!, start, m, xMean[j]!)
    centreInto(block, yo, y, start, m, yMean)
    for (let a = 0; a < p; a++) {
      const ao = a * rowBlock
      let b = 0
      for (; b + 3 <= a; b += 4) {
        const r = a * p + b
        let s0 = gram[r]!
        let s1 = gram[r + 1]!
        let s2 = gram[r + 2]!
        let s3 = gram[r + 3]!
        const b0 = b * rowBlock
        for (let i = 0; i < m; i++) {
          const x = block[ao + i]!
          s0 += x * block[b0 + i]!
          s1 += x * block[b0 + rowBlock + i]!
          s2 += x * block[b0 + 2 * rowBlock + i]!
          s3 += x * block[b0 + 3 * rowBlock + i]!
        }
        gram[r] = s0
        gram[r + 1] = s1
        gram[r + 2] = s2
        gram[r + 3] = s3
      }
      for (; b <= a; b++) gram[a * p + b] = accumulateDot(gram[a * p + b]!, block, ao, b * rowBlock, m)
      xty[a] = accumulateDot(xty[a]!, block, ao, yo, m)
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) gram[b * p + a] = gram[a * p + b]!
  return { gram, xty }
}

function centreInto(block: Float64Array, offset: number, column: Float64Array, start: number, m: number, mean: number): void {
  for (let i = 0; i < m; i++) block[offset + i] = column[start + i]! - mean
}

function accumulateDot(s: number, block: Float64Array, ao: number, bo: number, m: number): number {
  for (let i = 0; i < m; i++) s += block[ao + i]! * block[bo + i]!
  return s
}
