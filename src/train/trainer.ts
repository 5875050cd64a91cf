import { NativeEvaluator, wharfModelFormat, type WharfModelSpec } from '../models/index.js'
import { fitGbdt, type GbdtProgress } from './gbdt/gbdt.js'
import { fitElasticNet } from './linear/elastic-net.js'
import { fitLeastSquares } from './linear/least-squares.js'
import { fitLogistic } from './linear/logistic.js'
import { classificationMetrics, regressionMetrics } from './metrics.js'
import { resolveParams, type ResolvedParams } from './params.js'
import { fitPreprocessing, fitTransformColumns, transform } from './preprocessing.js'
import { dropColumns, findColumn, type Column, type Table } from './table.js'

export type Task = 'regression' | 'classification'

export interface TrainOptions {
  readonly algorithm: string
  /** `k=v` strings (as from --param) or a map of raw values. */
  readonly params?: readonly string[] | Readonly<Record<string, string>>
  readonly seed?: number
  readonly onProgress?: (p: GbdtProgress) => void
}

export interface TrainedModel {
  readonly spec: WharfModelSpec
  readonly task: Task
  readonly params: ResolvedParams
  /** Solver iterations (CD epochs, L-BFGS steps, boosting rounds). */
  readonly iterations: number
}

/** Largest number of distinct integer values for which gbdt's task=auto picks classification. */
const maxAutoClasses = 20

/** Fits `options.algorithm` on every column of `table` except `target`. */
export function trainModel(table: Table, target: string, options: TrainOptions): TrainedModel {
  const params = resolveParams(options.algorithm, options.params ?? [])
  const targetColumn = findColumn(table, target)
  const features = dropColumns(table, [target])
  if (features.columns.length === 0) throw new Error('the data has no feature columns besides the target')
  const task = taskFor(options.algorithm, params, targetColumn)
  const { y, classes } = encodeTarget(targetColumn, task)
  const algorithm = options.algorithm
  const isTrees = algorithm === 'gbdt'
  const preprocessing = {
    standardize: !isTrees && params['standardize'] === true,
    impute: !isTrees && params['impute'] !== false,
  }
  if (algorithm === 'gbdt') {
    const pre = fitPreprocessing(features, preprocessing)
    const base = { format: wharfModelFormat, algorithm, columns: pre.columns } as const
    const model = fitGbdt(
      transform(pre, features),
      y,
      task === 'regression' ? 'squared_error' : 'log_loss',
      classes?.length ?? 0,
      {
        learningRate: params['learning_rate'] as number,
        maxIter: params['max_iter'] as number,
        maxLeafNodes: params['max_leaf_nodes'] as number | null,
        maxDepth: params['max_depth'] as number | null,
        minSamplesLeaf: params['min_samples_leaf'] as number,
        l2Regularization: params['l2_regularization'] as number,
        maxBins: params['max_bins'] as number,
        earlyStopping: params['early_stopping'] as boolean | 'auto',
        validationFraction: params['validation_fraction'] as number,
        nIterNoChange: params['n_iter_no_change'] as number,
        tol: params['tol'] as number,
        seed: options.seed ?? 0,
      },
      options.onProgress,
    )
    const spec: WharfModelSpec = {
      ...base,
      link: linkFor(task, classes),
      outputs: model.outputs,
      ...(classes ? { classes } : {}),
      estimator: { kind: 'trees', baseline: model.baseline, trees: model.trees },
    }
    return { spec, task, params, iterations: model.iterations }
  }
  // The linear solvers take columns, and reuse the table's own where nothing changes.
  const { pre, X } = fitTransformColumns(features, preprocessing)
  const base = { format: wharfModelFormat, algorithm, columns: pre.columns } as const
  if (algorithm === 'logistic') {
    const fit = fitLogistic(X, Uint32Array.from(y), classes!.length, {
      C: params['C'] as number,
      maxIter: params['max_iter'] as number,
      tol: params['tol'] as number,
    })
    const spec: WharfModelSpec = {
      ...base,
      link: linkFor(task, classes),
      outputs: fit.rows,
      classes: classes!,
      estimator: { kind: 'linear', coef: Array.from(fit.coef), intercept: Array.from(fit.intercept) },
    }
    return { spec, task, params, iterations: fit.iterations }
  }
  const alpha = (params['alpha'] as number | undefined) ?? 0
  const fit =
    algorithm === 'ols' || algorithm === 'ridge'
      ? fitLeastSquares(X, y, algorithm === 'ols' ? 0 : alpha)
      : fitElasticNet(X, y, {
          alpha,
          l1Ratio: algorithm === 'lasso' ? 1 : (params['l1_ratio'] as number),
          tol: params['tol'] as number,
          maxIter: params['max_iter'] as number,
        })
  const spec: WharfModelSpec = { ...base, link: 'identity', outputs: 1, estimator: { kind: 'linear', coef: Array.from(fit.coef), intercept: [fit.intercept] } }
  return { spec, task, params, iterations: fit.iterations }
}

function taskFor(algorithm: string, params: ResolvedParams, target: Column): Task {
  if (algorithm === 'logistic') return 'classification'
  if (algorithm !== 'gbdt') {
    if (target.kind === 'string')
      throw new Error(`target column '${target.name}' holds strings; ${algorithm} is a regression model (use logistic or gbdt to classify)`)
    return 'regression'
  }
  if (params['task'] === 'regression' || params['task'] === 'classification') return params['task']
  if (target.kind === 'string') return 'classification'
  const distinct = new Set<number>()
  for (const v of target.values) {
    if (!Number.isInteger(v)) return 'regression'
    distinct.add(v)
    if (distinct.size > maxAutoClasses) return 'regression'
  }
  return 'classification'
}

function linkFor(task: Task, classes: readonly unknown[] | undefined): 'identity' | 'logistic' | 'softmax' {
  if (task === 'regression') return 'identity'
  return classes!.length === 2 ? 'logistic' : 'softmax'
}

/** The target as numbers: values for regression, class indices (sorted labels) for classification. */
export function encodeTarget(target: Column, task: Task): { y: Float64Array; classes?: (number | string)[] } {
  const n = target.values.length
  const missing = target.kind === 'numeric' ? firstNaN(target.values) : target.values.indexOf(null)
  if (missing >= 0) throw new Error(`target column '${target.name}' is empty in data row ${missing + 1}; remove rows without a target`)
  if (task === 'regression') {
    if (target.kind !== 'numeric') throw new Error(`target column '${target.name}' must be numeric for regression`)
    return { y: target.values }
  }
  if (target.kind === 'numeric') {
    const classes = numericLabels(target.values)
    if (classes === undefined) throw new Error(`target column '${target.name}' has non-integer numbers; classification needs integer or string labels`)
    if (classes.length < 2) throw new Error(`target column '${target.name}' has a single class; classification needs at least two`)
    return { y: classIndices(target.values, Float64Array.from(classes)), classes }
  }
  const classes = [...new Set(target.values as (string | null)[] as string[])].sort()
  if (classes.length < 2) throw new Error(`target column '${target.name}' has a single class; classification needs at least two`)
  const index = new Map<string, number>(classes.map((c, k) => [c, k]))
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) y[i] = index.get(target.values[i]!)!
  return { y, classes }
}

function firstNaN(values: Float64Array): number {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) return i
  return -1
}

// Numeric labels take indexed loops over the typed array, a Set touched only when the label
// changes from the row before, and a binary search for the index: the generic iterate-and-hash
// version took ~65 ms on 800,000 rows, a tenth of a logistic regression fit.

/** The distinct labels, ascending; undefined if one is not an integer. */
function numericLabels(values: Float64Array): number[] | undefined {
  const seen = new Set<number>()
  let last = Number.NaN
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v === last) continue
    if (!Number.isInteger(v)) return undefined
    seen.add(v)
    last = v
  }
  return [...seen].sort((a, b) => a - b)
}

/** Each value's index in `classes` (ascending, and holding every value). */
function classIndices(values: Float64Array, classes: Float64Array): Float64Array {
  const y = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    let lo = 0
    let hi = classes.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (classes[mid]! < v) lo = mid + 1
      else hi = mid
    }
    y[i] = lo
  }
  return y
}

/** Test metrics of a spec on `table`, computed with the native evaluator that also serves it. */
export function evaluateModel(spec: WharfModelSpec, table: Table, target: string): Record<string, number> {
  const evaluator = new NativeEvaluator(spec)
  const columns = spec.columns.map((c) => findColumn(table, c.name).values)
  const n = table.rowCount
  const out = new Float64Array(n * evaluator.width)
  evaluator.evaluate(columns, n, out)
  const targetColumn = findColumn(table, target)
  if (spec.classes === undefined) return regressionMetrics(encodeTarget(targetColumn, 'regression').y, out)
  const K = spec.classes.length
  const index = new Map<number | string, number>(spec.classes.map((c, k) => [c, k]))
  const yTrue = new Int32Array(n)
  const yPred = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const label = targetColumn.values[i] as number | string
    yTrue[i] = index.get(label) ?? -1 // a class unseen in training counts as wrong
    let best = 0
    for (let k = 1; k < K; k++) if (out[i * K + k]! > out[i * K + best]!) best = k
    yPred[i] = best
  }
  return classificationMetrics(yTrue, yPred, out, K)
}
