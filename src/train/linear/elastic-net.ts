import type { ColumnMatrix } from '../preprocessing.js'

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
 */
export function fitElasticNet(X: ColumnMatrix, y: Float64Array, options: ElasticNetOptions): LinearFit {
  const { rows: n, cols: p } = X
  const { xc, xMean, yc, yMean } = centre(X, y)
  const alpha = options.alpha * options.l1Ratio * n // L1 penalty on the n-weighted problem
  const beta = options.alpha * (1 - options.l1Ratio) * n // L2 penalty
  const w = new Float64Array(p)
  const norm2 = new Float64Array(p)
  for (let j = 0; j < p; j++) norm2[j] = dot(xc, j * n, xc, j * n, n)
  const R = Float64Array.from(yc) // y - Xw with w = 0
  const XtA = new Float64Array(p)
  const tol = options.tol * dot(yc, 0, yc, 0, n)
  const dwTol = options.tol
  const screening = alpha !== 0
  const active = new Uint32Array(p)
  const excluded = new Uint8Array(p)
  let nActive = p
  for (let j = 0; j < p; j++) active[j] = j

  let [gap, dualNorm] = dualityGap(xc, n, p, w, alpha, beta, yc, R, XtA)
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
        if (w[j] !== 0) axpy(w[j]!, xc, j * n, R, n)
        w[j] = 0
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
      const tmp = dot(xc, j * n, R, 0, n) + wj * norm2[j]!
      const next = (Math.sign(tmp) * Math.max(Math.abs(tmp) - alpha, 0)) / (norm2[j]! + beta)
      w[j] = next
      if (next !== wj) axpy(wj - next, xc, j * n, R, n)
      dwMax = Math.max(dwMax, Math.abs(next - wj))
      wMax = Math.max(wMax, Math.abs(next))
    }
    if (wMax === 0 || dwMax / wMax <= dwTol || iter === options.maxIter - 1) {
      ;[gap, dualNorm] = dualityGap(xc, n, p, w, alpha, beta, yc, R, XtA)
      if (gap <= tol) break
      if (screening) screen(false)
    }
  }
  return finish(w, xMean, yMean, Math.min(iter + 1, options.maxIter), gap)
}

function finish(w: Float64Array, xMean: Float64Array, yMean: number, iterations: number, dualGap: number): LinearFit {
  let intercept = yMean
  for (let j = 0; j < w.length; j++) intercept -= xMean[j]! * w[j]!
  return { coef: w, intercept, iterations, dualGap }
}

/** scikit-learn's `gap_enet`: formulation A for alpha > 0, B for ridge, the gradient norm for OLS. */
function dualityGap(
  X: Float64Array, n: number, p: number, w: Float64Array, alpha: number, beta: number,
  y: Float64Array, R: Float64Array, XtA: Float64Array,
): [number, number] {
  const wNorm2 = beta > 0 ? dot(w, 0, w, 0, p) : 0
  const rNorm2 = dot(R, 0, R, 0, n)
  const ry = dot(R, 0, y, 0, n)
  for (let j = 0; j < p; j++) XtA[j] = dot(X, j * n, R, 0, n) - (alpha === 0 ? 0 : beta * w[j]!)
  if (alpha === 0) {
    const dualNorm = dot(XtA, 0, XtA, 0, p)
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

/** Column-centred copy of X (column-major) and centred y. */
export function centre(X: ColumnMatrix, y: Float64Array) {
  const { rows: n, cols: p } = X
  const { xMean, yMean } = columnMeans(X, y)
  const xc = new Float64Array(n * p)
  for (let j = 0; j < p; j++) {
    const column = X.columns[j]!
    const m = xMean[j]!
    for (let i = 0; i < n; i++) xc[j * n + i] = column[i]! - m
  }
  const yc = new Float64Array(n)
  for (let i = 0; i < n; i++) yc[i] = y[i]! - yMean
  return { xc, xMean, yc, yMean }
}

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, len: number): number {
  let s = 0
  for (let i = 0; i < len; i++) s += a[ao + i]! * b[bo + i]!
  return s
}

/** y += a·x[xo..xo+len) */
function axpy(a: number, x: Float64Array, xo: number, y: Float64Array, len: number): void {
  for (let i = 0; i < len; i++) y[i] = y[i]! + a * x[xo + i]!
}
