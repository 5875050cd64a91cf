import type { ColumnMatrix } from '../preprocessing.js'
import { columnMeans, type LinearFit } from './elastic-net.js'

/** Rows per block when accumulating the Gram matrix (20 columns × 4096 rows ≈ 660 KB, cache-sized). */
const rowBlock = 4096

/**
 * Ordinary least squares (alpha = 0) and ridge, scikit-learn's `Ridge` objective
 * ||y - Xw - b||² + alpha·||w||², solved exactly from the normal equations of the centred data by
 * Cholesky. A rank-deficient OLS problem gets a vanishing ridge (1e-10 of the Gram diagonal) so it
 * still returns a (minimum-norm-like) answer rather than failing.
 */
export function fitLeastSquares(X: ColumnMatrix, y: Float64Array, alpha: number): LinearFit {
  const p = X.cols
  const { xMean, yMean } = columnMeans(X, y)
  const { gram, xty } = centredGram(X, y, xMean, yMean)
  let w = solveRidge(gram, xty, p, alpha)
  if (w === undefined) {
    let trace = 0
    for (let j = 0; j < p; j++) trace += gram[j * p + j]!
    w = solveRidge(gram, xty, p, alpha + 1e-10 * (trace / Math.max(p, 1) || 1))
  }
  if (w === undefined) throw new Error('least squares: the design matrix is singular')
  let intercept = yMean
  for (let j = 0; j < p; j++) intercept -= xMean[j]! * w[j]!
  return { coef: w, intercept, iterations: 1, dualGap: 0 }
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

/** Solves (G + alpha·I) w = b by Cholesky; undefined when not positive definite. */
function solveRidge(gram: Float64Array, b: Float64Array, p: number, alpha: number): Float64Array | undefined {
  const L = new Float64Array(p * p)
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = gram[i * p + j]! + (i === j ? alpha : 0)
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!
      if (i === j) {
        if (!(s > 1e-12 * (gram[i * p + i]! + alpha + 1e-300))) return undefined
        L[i * p + i] = Math.sqrt(s)
      } else L[i * p + j] = s / L[j * p + j]!
    }
  }
  const z = new Float64Array(p)
  for (let i = 0; i < p; i++) {
    let s = b[i]!
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * z[k]!
    z[i] = s / L[i * p + i]!
  }
  const w = new Float64Array(p)
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * w[k]!
    w[i] = s / L[i * p + i]!
  }
  return w
}
