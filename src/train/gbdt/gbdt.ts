import type { Matrix } from '../preprocessing.js'
import { shuffledIndices } from '../split.js'
import { binMatrix, fitBinMapper } from './binning.js'
import { TreeGrower, type BinnedData } from './grower.js'
import { packBins } from './histogram.js'
import { predictTreeRow, type Tree } from './tree.js'

export type GbdtLoss = 'squared_error' | 'log_loss'

export interface GbdtOptions {
  readonly learningRate: number
  /** Boosting iterations (trees per class). */
  readonly maxIter: number
  readonly maxLeafNodes: number | null
  readonly maxDepth: number | null
  readonly minSamplesLeaf: number
  readonly l2Regularization: number
  readonly maxBins: number
  /** 'auto' turns early stopping on above 10,000 rows, as scikit-learn does. */
  readonly earlyStopping: boolean | 'auto'
  readonly validationFraction: number
  readonly nIterNoChange: number
  readonly tol: number
  readonly seed: number
}

export const defaultGbdtOptions: GbdtOptions = {
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  l2Regularization: 0,
  maxBins: 255,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
  seed: 0,
}

export interface GbdtProgress {
  readonly iteration: number
  readonly maxIter: number
  readonly trainLoss: number
  readonly validationLoss: number | undefined
}

/** `trees[t * outputs + k]` is iteration t's tree for output k (one output unless multiclass). */
export interface GbdtModel {
  readonly outputs: number
  readonly baseline: number[]
  readonly trees: Tree[]
  readonly iterations: number
}

/**
 * Histogram gradient boosting as scikit-learn's `HistGradientBoostingRegressor/Classifier`:
 * squared error (half, constant hessian) or log loss (binary: one output with a logistic link;
 * K > 2 classes: K outputs with softmax), shrunk leaf values, and optional early stopping on the
 * validation loss of a held-out fraction. `y` holds targets, or class indices for log loss.
 */
export function fitGbdt(
  X: Matrix,
  y: Float64Array,
  loss: GbdtLoss,
  classCount: number,
  options: GbdtOptions,
  onProgress?: (p: GbdtProgress) => void,
): GbdtModel {
  const n = X.rows
  const K = loss === 'log_loss' && classCount > 2 ? classCount : 1
  const early = options.earlyStopping === 'auto' ? n > 10_000 : options.earlyStopping
  let trainRows: Uint32Array
  let validRows = new Uint32Array(0)
  if (early) {
    const shuffled = shuffledIndices(n, options.seed)
    const nValid = Math.ceil(n * options.validationFraction)
    validRows = shuffled.slice(0, nValid).sort()
    trainRows = shuffled.slice(nValid).sort()
  } else trainRows = Uint32Array.from({ length: n }, (_, i) => i)

  const mapper = fitBinMapper(subsetRows(X, trainRows), options.maxBins, options.seed)
  const binsByFeature = binMatrix(mapper, X)
  const data: BinnedData = {
    packed: packBins(binsByFeature, n, X.cols),
    binsByFeature,
    rows: n,
    features: X.cols,
    edges: mapper.edges,
    missingBin: mapper.missingBin,
    binCount: mapper.missingBin + 1,
  }
  const baseline = initialRaw(y, trainRows, loss, K, classCount)
  const raw = new Float64Array(n * K)
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = baseline[k]!
  const grad = Array.from({ length: K }, () => new Float64Array(n))
  const hess = Array.from({ length: K }, () => new Float64Array(n))
  const update = new Float64Array(n)
  const grower = new TreeGrower(data, { ...options, constantHessian: loss === 'squared_error' }, trainRows)
  const trees: Tree[] = []
  const scores: number[] = []
  let iteration = 0
  for (; iteration < options.maxIter; iteration++) {
    computeGradients(y, raw, trainRows, loss, K, grad, hess)
    for (let k = 0; k < K; k++) {
      trees.push(grower.grow(grad[k]!, hess[k]!, update))
      // Indexed loops over the row lists: for-of over a typed array is several times slower in V8.
      for (let r = 0; r < trainRows.length; r++) {
        const i = trainRows[r]!
        raw[i * K + k] = raw[i * K + k]! + update[i]!
      }
      for (let r = 0; r < validRows.length; r++) {
        const i = validRows[r]!
        raw[i * K + k] = raw[i * K + k]! + predictTreeRow(trees[trees.length - 1]!, X.data, n, i)
      }
    }
    const validationLoss = early ? meanLoss(y, raw, validRows, loss, K) : undefined
    // The training loss only informs a listener (nothing stops on it), and a pass with a log and
    // an exp per row costs ~7 % of a log-loss fit, so it is computed only when someone listens.
    if (onProgress) onProgress({ iteration: iteration + 1, maxIter: options.maxIter, trainLoss: meanLoss(y, raw, trainRows, loss, K), validationLoss })
    if (validationLoss !== undefined) {
      scores.push(-validationLoss)
      if (shouldStop(scores, options.nIterNoChange, options.tol)) {
        iteration++
        break
      }
    }
  }
  return { outputs: K, baseline, trees, iterations: iteration }
}

/** scikit-learn's `_should_stop`: no score in the last n beat the one before them by more than tol. */
function shouldStop(scores: number[], nIterNoChange: number, tol: number): boolean {
  if (scores.length <= nIterNoChange) return false
  const reference = scores[scores.length - nIterNoChange - 1]!
  return !scores.slice(-nIterNoChange).some((s) => s > reference + tol)
}

function initialRaw(y: Float64Array, rows: Uint32Array, loss: GbdtLoss, K: number, classCount: number): number[] {
  const n = rows.length
  if (loss === 'squared_error') {
    let s = 0
    for (const i of rows) s += y[i]!
    return [s / n]
  }
  const counts = new Float64Array(Math.max(classCount, 2))
  for (const i of rows) counts[y[i]!] = counts[y[i]!]! + 1
  const eps = 2.220446049250313e-16
  if (K === 1) {
    const p = Math.min(Math.max(counts[1]! / n, eps), 1 - eps)
    return [Math.log(p / (1 - p))]
  }
  const logs = Array.from(counts, (c) => Math.log(Math.min(Math.max(c / n, eps), 1 - eps)))
  const mean = logs.reduce((a, b) => a + b, 0) / K
  return logs.map((v) => v - mean)
}

function computeGradients(y: Float64Array, raw: Float64Array, rows: Uint32Array, loss: GbdtLoss, K: number, grad: Float64Array[], hess: Float64Array[]): void {
  if (loss === 'squared_error') {
    const g = grad[0]!
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r]!
      g[i] = raw[i]! - y[i]!
    }
    return
  }
  if (K === 1) {
    const g = grad[0]!
    const h = hess[0]!
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r]!
      const p = 1 / (1 + Math.exp(-raw[i]!))
      g[i] = p - y[i]!
      h[i] = p * (1 - p)
    }
    return
  }
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!
    let max = -Infinity
    for (let k = 0; k < K; k++) max = Math.max(max, raw[i * K + k]!)
    let sum = 0
    for (let k = 0; k < K; k++) sum += Math.exp(raw[i * K + k]! - max)
    for (let k = 0; k < K; k++) {
      const p = Math.exp(raw[i * K + k]! - max) / sum
      grad[k]![i] = p - (y[i] === k ? 1 : 0)
      hess[k]![i] = p * (1 - p)
    }
  }
}

function meanLoss(y: Float64Array, raw: Float64Array, rows: Uint32Array, loss: GbdtLoss, K: number): number {
  let s = 0
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!
    if (loss === 'squared_error') s += 0.5 * (raw[i]! - y[i]!) ** 2
    else if (K === 1) {
      const z = raw[i]!
      s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z
    } else {
      let max = -Infinity
      for (let k = 0; k < K; k++) max = Math.max(max, raw[i * K + k]!)
      let sum = 0
      for (let k = 0; k < K; k++) sum += Math.exp(raw[i * K + k]! - max)
      s += max + Math.log(sum) - raw[i * K + y[i]!]!
    }
  }
  return s / rows.length
}

function subsetRows(X: Matrix, rows: Uint32Array): Matrix {
  if (rows.length === X.rows) return X
  const data = new Float64Array(rows.length * X.cols)
  for (let j = 0; j < X.cols; j++) for (let r = 0; r < rows.length; r++) data[j * rows.length + r] = X.data[j * X.rows + rows[r]!]!
  return { rows: rows.length, cols: X.cols, data }
}

/** Raw scores (n × outputs, row-major) of a fitted model on a column-major matrix. */
export function predictGbdtRaw(model: GbdtModel, X: Matrix): Float64Array {
  const K = model.outputs
  const out = new Float64Array(X.rows * K)
  for (let i = 0; i < X.rows; i++) {
    for (let k = 0; k < K; k++) out[i * K + k] = model.baseline[k]!
    for (let t = 0; t < model.trees.length; t++) out[i * K + (t % K)] = out[i * K + (t % K)]! + predictTreeRow(model.trees[t]!, X.data, X.rows, i)
  }
  return out
}
