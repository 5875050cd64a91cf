import type { ColumnMatrix } from '../preprocessing.js'
import { minimizeLbfgs } from './lbfgs.js'

/** Rows per block of the objective's pass over X (20 columns × 4096 rows ≈ 660 KB, cache-sized). */
const rowBlock = 4096

export interface LogisticOptions {
  /** Inverse regularisation strength, as scikit-learn's `C`. */
  readonly C: number
  readonly maxIter: number
  readonly tol: number
}

/** Row k of `coef` (length p) is class k's weights; binary problems have one row (class 1). */
export interface LogisticFit {
  readonly coef: Float64Array
  readonly intercept: Float64Array
  readonly rows: number
  readonly iterations: number
  readonly converged: boolean
}

/**
 * L2-regularised logistic regression with scikit-learn's `LogisticRegression(C)` objective:
 * C·Σᵢ loss(yᵢ, xᵢw + b) + ½||w||², unpenalised intercept; binary with one weight vector, multiclass
 * multinomial (softmax) with K weight vectors, as scikit-learn ≥ 1.5 does with lbfgs. Minimised by
 * L-BFGS on the equivalent mean-loss form (divided by C·n), which has the same minimiser.
 * `y` holds class indices 0..K-1.
 */
export function fitLogistic(X: ColumnMatrix, y: Uint32Array, classCount: number, options: LogisticOptions): LogisticFit {
  const { rows: n, cols: p } = X
  const K = classCount === 2 ? 1 : classCount
  const l2 = 1 / (options.C * n)
  const z = new Float64Array(rowBlock * K)
  const resid = new Float64Array(rowBlock * K)
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    // theta = [W (K×p) row-major, b (K)]. One pass over X a block of rows at a time: scores, loss and
    // residuals of the block, then its share of Xᵀ·resid while the block is still in cache.
    const columns = X.columns
    grad.fill(0)
    let loss = 0
    for (let start = 0; start < n; start += rowBlock) {
      const m = Math.min(n, start + rowBlock) - start
      loss += K === 1 ? addBinaryBlock(columns, y, theta, start, m, z, resid, grad) : addMultinomialBlock(columns, y, theta, K, start, m, z, resid, grad)
    }
    let penalty = 0
    for (let k = 0; k < K; k++) {
      grad[K * p + k] = grad[K * p + k]! / n
      for (let j = 0; j < p; j++) {
        const w = theta[k * p + j]!
        grad[k * p + j] = grad[k * p + j]! / n + l2 * w
        penalty += w * w
      }
    }
    return loss / n + 0.5 * l2 * penalty
  }
  const result = minimizeLbfgs(objective, new Float64Array(K * p + K), { maxIter: options.maxIter, gradientTol: options.tol })
  return {
    coef: result.x.slice(0, K * p),
    intercept: result.x.slice(K * p),
    rows: K,
    iterations: result.iterations,
    converged: result.converged,
  }
}

/**
 * The binary objective's share of one block of rows: adds Xᵀ·resid (and the intercept's sum) to
 * `grad` and returns the block's loss. Four columns per pass, so z, resid and the four column
 * slices are each read once per four features; every sum still runs in the same order (columns
 * in order for z, rows in order for the gradient), as a column-at-a-time loop would. One exp per
 * row serves both the loss and the sigmoid.
 */
function addBinaryBlock(
  columns: readonly Float64Array[],
  y: Uint32Array,
  theta: Float64Array,
  start: number,
  m: number,
  z: Float64Array,
  resid: Float64Array,
  grad: Float64Array,
): number {
  const p = columns.length
  z.fill(theta[p]!, 0, m)
  let j = 0
  for (; j + 4 <= p; j += 4) {
    const w0 = theta[j]!,
      w1 = theta[j + 1]!,
      w2 = theta[j + 2]!,
      w3 = theta[j + 3]!
    if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0) continue
    const x0 = columns[j]!,
      x1 = columns[j + 1]!,
      x2 = columns[j + 2]!,
      x3 = columns[j + 3]!
    for (let i = 0; i < m; i++) z[i] = z[i]! + w0 * x0[start + i]! + w1 * x1[start + i]! + w2 * x2[start + i]! + w3 * x3[start + i]!
  }
  for (; j < p; j++) {
    const w = theta[j]!
    if (w === 0) continue
    const x = columns[j]!
    for (let i = 0; i < m; i++) z[i] = z[i]! + w * x[start + i]!
  }
  let loss = 0
  let gb = grad[p]!
  for (let i = 0; i < m; i++) {
    const zi = z[i]!
    const positive = y[start + i] === 1
    const e = Math.exp(-Math.abs(zi))
    // log(1 + e^z) - y·z, computed stably
    loss += (zi > 0 ? zi + Math.log1p(e) : Math.log1p(e)) - (positive ? zi : 0)
    const r = (zi >= 0 ? 1 / (1 + e) : e / (1 + e)) - (positive ? 1 : 0)
    resid[i] = r
    gb += r
  }
  grad[p] = gb
  j = 0
  for (; j + 4 <= p; j += 4) {
    const x0 = columns[j]!,
      x1 = columns[j + 1]!,
      x2 = columns[j + 2]!,
      x3 = columns[j + 3]!
    let s0 = grad[j]!,
      s1 = grad[j + 1]!,
      s2 = grad[j + 2]!,
      s3 = grad[j + 3]!
    for (let i = 0; i < m; i++) {
      const r = resid[i]!
      s0 += x0[start + i]! * r
      s1 += x1[start + i]! * r
      s2 += x2[start + i]! * r
      s3 += x3[start + i]! * r
    }
    grad[j] = s0
    grad[j + 1] = s1
    grad[j + 2] = s2
    grad[j + 3] = s3
  }
  for (; j < p; j++) {
    const x = columns[j]!
    let s = grad[j]!
    for (let i = 0; i < m; i++) s += x[start + i]! * resid[i]!
    grad[j] = s
  }
  return loss
}

/** The multinomial objective's share of one block of rows (as `addBinaryBlock`, K scores per row). */
function addMultinomialBlock(
  columns: readonly Float64Array[],
  y: Uint32Array,
  theta: Float64Array,
  K: number,
  start: number,
  m: number,
  z: Float64Array,
  resid: Float64Array,
  grad: Float64Array,
): number {
  const p = columns.length
  let loss = 0
  for (let k = 0; k < K; k++) {
    const b = theta[K * p + k]!
    for (let i = 0; i < m; i++) z[i * K + k] = b
    for (let j = 0; j < p; j++) {
      const w = theta[k * p + j]!
      if (w === 0) continue
      const x = columns[j]!
      for (let i = 0; i < m; i++) z[i * K + k] = z[i * K + k]! + w * x[start + i]!
    }
  }
  for (let i = 0; i < m; i++) {
    let max = -Infinity
    for (let k = 0; k < K; k++) max = Math.max(max, z[i * K + k]!)
    let sum = 0
    for (let k = 0; k < K; k++) sum += Math.exp(z[i * K + k]! - max)
    const logSum = max + Math.log(sum)
    const yi = y[start + i]!
    loss += logSum - z[i * K + yi]!
    for (let k = 0; k < K; k++) resid[i * K + k] = Math.exp(z[i * K + k]! - logSum) - (yi === k ? 1 : 0)
  }
  for (let k = 0; k < K; k++) {
    let gb = grad[K * p + k]!
    for (let i = 0; i < m; i++) gb += resid[i * K + k]!
    grad[K * p + k] = gb
    for (let j = 0; j < p; j++) {
      const x = columns[j]!
      let s = grad[k * p + j]!
      for (let i = 0; i < m; i++) s += x[start + i]! * resid[i * K + k]!
      grad[k * p + j] = s
    }
  }
  return loss
}
