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
    // residuals of the block, then its share of Xᵀ·resid while the block is still in cache. Every sum
    // runs over rows (or features) in the same order as a column-at-a-time pass would.
    const columns = X.columns
    grad.fill(0)
    let loss = 0
    for (let start = 0; start < n; start += rowBlock) {
      const m = Math.min(n, start + rowBlock) - start
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
      if (K === 1) {
        for (let i = 0; i < m; i++) {
          const zi = z[i]!
          const positive = y[start + i] === 1
          // log(1 + e^z) - y·z, computed stably
          loss += (zi > 0 ? zi + Math.log1p(Math.exp(-zi)) : Math.log1p(Math.exp(zi))) - (positive ? zi : 0)
          resid[i] = 1 / (1 + Math.exp(-zi)) - (positive ? 1 : 0)
        }
      } else {
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
