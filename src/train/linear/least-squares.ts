import type { ColumnMatrix } from '../preprocessing.js'
import type { LinearFit } from './elastic-net.js'
import { centredGram, columnMeans } from './gram.js'

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
