import type { ColumnMatrix } from '../preprocessing.js'
import { centredGram, columnMeans } from './gram.js'

export interface ElasticNetOptions {
  readonly alpha: number
  readonly l1Ratio: number
  readonly tol: number
  readonly maxIter: number
}

export interface LinearFit {
  readonly coef: Float64Array
  readonly intercept: number
  readonly iterations: number
  /** Achieved duality gap, on the scale of the n-weighted problem, as scikit-learn's `dual_gap_ * n`. */
  readonly dualGap: number
}

/**
 * Elastic net by cyclic coordinate descent, minimising scikit-learn's `ElasticNet` objective
 *   1/(2n) ||y - Xw - b||² + alpha·l1_ratio·||w||₁ + ½·alpha·(1 - l1_ratio)·||w||²
 * with an unpenalised intercept (X and y centred first). The loop, the gap-safe screening and
 * the duality-gap stopping rule follow scikit-learn 1.9's `enet_coordinate_descent`
 * (sklearn/linear_model/_cd_fast.pyx), so both stop at the same iterate.
 *
 * Every quantity that loop takes from X and the residual R = y - Xw is computed from the centred
 * Gram matrix G = XᵀX and q = Xᵀy instead, as scikit-learn's `enet_coordinate_descent_gram` does:
 * XⱼᵀR = qⱼ - Gⱼ·w, ||R||² = yᵀy - 2wᵀq + wᵀGw, Rᵀy = yᵀy - wᵀq. The iterates are the same up to
 * rounding, but each coordinate step costs O(p) instead of two passes over n rows, and X is read
 * once (to form G) rather than copied and read again for every step and every gap check.
 */
export function fitElasticNet(X: ColumnMatrix, y: Float64Array, options: ElasticNetOptions): LinearFit {
  const { rows: n, cols: p } = X
  const { xMean, yMean } = columnMeans(X, y)
  const { gram, xty } = centredGram(X, y, xMean, yMean)
  let yy = 0
  for (let i = 0; i < n; i++) yy += (y[i]! - yMean) ** 2
  const problem: GramProblem = { gram, xty, yy, p }
  const alpha = options.alpha * options.l1Ratio * n // L1 penalty on the n-weighted problem
  const beta = options.alpha * (1 - options.l1Ratio) * n // L2 penalty
  const w = new Float64Array(p)
  const norm2 = new Float64Array(p)
  for (let j = 0; j < p; j++) norm2[j] = gram[j * p + j]!
  const XtA = new Float64Array(p)
  const tol = options.tol * yy
  const dwTol = options.tol
  const screening = alpha !== 0
  const active = new Uint32Array(p)
  const excluded = new Uint8Array(p)
  let nActive = p
  for (let j = 0; j < p; j++) active[j] = j

  let [gap, dualNorm] = dualityGap(problem, w, alpha, beta, XtA)
  if (gap <= tol) return finish(w, xMean, yMean, 0, gap)
  const screen = (initial: boolean) => {
    nActive = 0
    for (let j = 0; j < p; j++) {
      if (initial && norm2[j] === 0) {
        w[j] = 0
        excluded[j] = 1
        continue
      }
      if (!initial && excluded[j]) continue
      const xjTheta = XtA[j]! / Math.max(alpha, dualNorm)
      const dj = (1 - Math.abs(xjTheta)) / Math.sqrt(norm2[j]! + beta)
      if (dj <= Math.sqrt(2 * gap) / alpha) {
        active[nActive++] = j
        excluded[j] = 0
      } else {
        w[j] = 0 // R += wⱼxⱼ: implicit, R is only ever derived from w
        excluded[j] = 1
      }
    }
  }
  if (screening) screen(true)

  let iter = 0
  for (; iter < options.maxIter; iter++) {
    let wMax = 0
    let dwMax = 0
    for (let f = 0; f < nActive; f++) {
      const j = screening ? active[f]! : f
      if (norm2[j] === 0) continue
      const wj = w[j]!
      const tmp = residualDot(problem, w, j) + wj * norm2[j]!
      const next = (Math.sign(tmp) * Math.max(Math.abs(tmp) - alpha, 0)) / (norm2[j]! + beta)
      w[j] = next
      dwMax = Math.max(dwMax, Math.abs(next - wj))
      wMax = Math.max(wMax, Math.abs(next))
    }
    if (wMax === 0 || dwMax / wMax <= dwTol || iter === options.maxIter - 1) {
      ;[gap, dualNorm] = dualityGap(problem, w, alpha, beta, XtA)
      if (gap <= tol) break
      if (screening) screen(false)
    }
  }
  return finish(w, xMean, yMean, Math.min(iter + 1, options.maxIter), gap)
}

/** The centred least-squares problem in Gram form (G and q p × p and p, yᵀy a scalar). */
interface GramProblem {
  readonly gram: Float64Array
  readonly xty: Float64Array
  readonly yy: number
  readonly p: number
}

/** XⱼᵀR = qⱼ - Gⱼ·w */
function residualDot(problem: GramProblem, w: Float64Array, j: number): number {
  const { gram, xty, p } = problem
  let s = xty[j]!
  for (let k = 0; k < p; k++) s -= gram[j * p + k]! * w[k]!
  return s
}

function finish(w: Float64Array, xMean: Float64Array, yMean: number, iterations: number, dualGap: number): LinearFit {
  let intercept = yMean
  for (let j = 0; j < w.length; j++) intercept -= xMean[j]! * w[j]!
  return { coef: w, intercept, iterations, dualGap }
}

/** scikit-learn's `gap_enet`: formulation A for alpha > 0, B for ridge, the gradient norm for OLS. */
function dualityGap(problem: GramProblem, w: Float64Array, alpha: number, beta: number, XtA: Float64Array): [number, number] {
  const { gram, xty, yy, p } = problem
  const wNorm2 = beta > 0 ? dot(w, w) : 0
  let wGw = 0
  for (let j = 0; j < p; j++) {
    let gw = 0
    for (let k = 0; k < p; k++) gw += gram[j * p + k]! * w[k]!
    wGw += w[j]! * gw
  }
  const wq = dot(w, xty)
  const rNorm2 = yy - 2 * wq + wGw
  const ry = yy - wq
  for (let j = 0; j < p; j++) XtA[j] = residualDot(problem, w, j) - (alpha === 0 ? 0 : beta * w[j]!)
  if (alpha === 0) {
    const dualNorm = dot(XtA, XtA)
    if (beta === 0) return [dualNorm, dualNorm]
    return [rNorm2 + 0.5 * beta * wNorm2 - ry + dualNorm / (2 * beta), dualNorm]
  }
  let dualNorm = 0
  let l1 = 0
  for (let j = 0; j < p; j++) {
    dualNorm = Math.max(dualNorm, Math.abs(XtA[j]!))
    l1 += Math.abs(w[j]!)
  }
  const primal = 0.5 * (rNorm2 + beta * wNorm2) + alpha * l1
  const scale = dualNorm > alpha ? alpha / dualNorm : 1
  const dual = -0.5 * scale * scale * (rNorm2 + beta * wNorm2) + scale * ry
  return [primal - dual, dualNorm]
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}
