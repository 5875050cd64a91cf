import { InputError, type ColumnValues } from './model-input.js'
import type { OutputTensor, Prediction } from './prediction.js'
import { featureCountOf, type FeatureColumn, type Tree, type WharfModelSpec } from './wharf-model.js'

/**
 * Evaluates a Wharf model spec in plain TypeScript: the same preprocessing, estimator and link
 * as the exported ONNX graph, in float64. For one row it avoids ONNX Runtime's per-call tensor
 * and session overhead (see runtime.test.ts for the comparison); scratch buffers are allocated
 * once per evaluator.
 */
export class NativeEvaluator {
  readonly #spec: WharfModelSpec
  readonly #features: Float64Array
  readonly #scores: Float64Array
  readonly #categoryIndex: (Map<string, number> | undefined)[]
  /** A linear model over numeric columns only: scored a column at a time (see #evaluateLinear). */
  readonly #linearNumeric: boolean
  /** Values per row in `out`: 1 for regression, else the number of classes. */
  readonly width: number

  constructor(spec: WharfModelSpec) {
    this.#spec = spec
    this.#features = new Float64Array(featureCountOf(spec.columns))
    this.#scores = new Float64Array(spec.outputs)
    this.#categoryIndex = spec.columns.map((c) => (c.kind === 'string' ? new Map(c.categories.map((k, i) => [k, i])) : undefined))
    this.width = spec.classes === undefined ? 1 : spec.classes.length
    this.#linearNumeric = spec.estimator.kind === 'linear' && spec.columns.every((c) => c.kind === 'numeric')
  }

  /** Scores `rowCount` rows as a Prediction: values for regression, labels and probabilities for classifiers. */
  predict(columns: readonly ColumnValues[], rowCount: number): Prediction {
    const out = new Float64Array(rowCount * this.width)
    this.evaluate(columns, rowCount, out)
    return shapePrediction(this.#spec.classes, out, rowCount)
  }

  /**
   * Writes predictions for `rowCount` rows into `out` (row-major, `width` per row): the regression
   * value, or the class probabilities. `columns` are in the spec's column order.
   */
  evaluate(columns: readonly ColumnValues[], rowCount: number, out: Float64Array): void {
    if (out.length < rowCount * this.width) throw new RangeError('output buffer too small')
    if (this.#linearNumeric && columns.every((c) => c instanceof Float64Array)) {
      this.#evaluateLinear(columns as readonly Float64Array[], rowCount, out)
      return
    }
    for (let i = 0; i < rowCount; i++) {
      this.#fillFeatures(columns, i)
      this.#score()
      this.#applyLink(out, i * this.width)
    }
  }

  /**
   * A linear model on typed numeric columns, one column at a time: for each row the same
   * operations in the same order as #fillFeatures + #score (standardize, multiply, add to the
   * running sum from the intercept on), so the same doubles, without the per-row dispatch that
   * was most of a 1,000-row request's scoring. Typed columns need no per-value type check.
   */
  #evaluateLinear(columns: readonly Float64Array[], n: number, out: Float64Array): void {
    const est = this.#spec.estimator as Extract<WharfModelSpec['estimator'], { kind: 'linear' }>
    const specs = this.#spec.columns as readonly Extract<FeatureColumn, { kind: 'numeric' }>[]
    const f = specs.length
    const k = this.#scores.length
    // With the identity link the sums are the answers: accumulate in `out` itself.
    const z = this.#spec.link === 'identity' && k === this.width ? out : new Float64Array(n * k)
    for (let o = 0; o < k; o++) for (let i = 0; i < n; i++) z[i * k + o] = est.intercept[o]!
    for (let j = 0; j < f; j++) {
      const { impute, center, scale } = specs[j]!
      const column = columns[j]!
      for (let o = 0; o < k; o++) {
        const w = est.coef[o * f + j]!
        for (let i = 0, at = o; i < n; i++, at += k) {
          let v = column[i]!
          if (Number.isNaN(v) && impute !== null) v = impute
          z[at] = z[at]! + w * ((v - center) / scale)
        }
      }
    }
    if (z === out) return
    const s = this.#scores
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < k; o++) s[o] = z[i * k + o]!
      this.#applyLink(out, i * this.width)
    }
  }

  #fillFeatures(columns: readonly ColumnValues[], row: number): void {
    const x = this.#features
    const specs = this.#spec.columns
    let j = 0
    for (let c = 0; c < specs.length; c++) {
      const spec: FeatureColumn = specs[c]!
      const raw = columns[c]![row]
      if (spec.kind === 'numeric') {
        let v = raw === null || raw === undefined ? Number.NaN : (raw as number)
        if (typeof v !== 'number') throw new InputError(`column '${spec.name}' row ${row}: expected a number, got ${JSON.stringify(raw)}`)
        if (Number.isNaN(v) && spec.impute !== null) v = spec.impute
        x[j++] = (v - spec.center) / spec.scale
      } else {
        const k = spec.categories.length
        x.fill(0, j, j + k)
        if (raw !== null && raw !== undefined) {
          const hit = this.#categoryIndex[c]!.get(String(raw))
          if (hit !== undefined) x[j + hit] = 1
        }
        j += k
      }
    }
  }

  #score(): void {
    const est = this.#spec.estimator
    const x = this.#features
    const s = this.#scores
    const f = x.length
    if (est.kind === 'linear') {
      for (let o = 0; o < s.length; o++) {
        let z = est.intercept[o]!
        for (let j = 0; j < f; j++) z += est.coef[o * f + j]! * x[j]!
        s[o] = z
      }
      return
    }
    const k = s.length
    for (let o = 0; o < k; o++) s[o] = est.baseline[o]!
    for (let t = 0; t < est.trees.length; t++) s[t % k] = s[t % k]! + walk(est.trees[t]!, x)
  }

  #applyLink(out: Float64Array, at: number): void {
    const s = this.#scores
    const link = this.#spec.link
    if (link === 'identity') out[at] = s[0]!
    else if (link === 'logistic') {
      const p = 1 / (1 + Math.exp(-s[0]!))
      out[at] = 1 - p
      out[at + 1] = p
    } else {
      let max = -Infinity
      for (let k = 0; k < s.length; k++) max = Math.max(max, s[k]!)
      let sum = 0
      for (let k = 0; k < s.length; k++) sum += Math.exp(s[k]! - max)
      for (let k = 0; k < s.length; k++) out[at + k] = Math.exp(s[k]! - max) / sum
    }
  }
}

function walk(tree: Tree, x: Float64Array): number {
  let node = 0
  while (tree.left[node]! >= 0) {
    const v = x[tree.feature[node]!]!
    node = (Number.isNaN(v) ? tree.missingLeft[node] : v <= tree.threshold[node]!) ? tree.left[node]! : tree.right[node]!
  }
  return tree.value[node]!
}

/** Row-major scores to the Prediction shape the ONNX path also produces (outputs named as in the graph). */
function shapePrediction(classes: WharfModelSpec['classes'], out: Float64Array, n: number): Prediction {
  if (classes === undefined) return { rowCount: n, task: 'regression', values: out, outputs: { prediction: { dims: [n, 1], data: out } } }
  const K = classes.length
  const labels = new Array<number | string>(n)
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let k = 1; k < K; k++) if (out[i * K + k]! > out[i * K + best]!) best = k
    labels[i] = classes[best]!
  }
  const outputs: Record<string, OutputTensor> = { label: { dims: [n], data: labels } }
  for (let k = 0; k < K; k++) {
    const column = new Float64Array(n)
    for (let i = 0; i < n; i++) column[i] = out[i * K + k]!
    outputs[`probability_${String(classes[k])}`] = { dims: [n, 1], data: column }
  }
  return { rowCount: n, task: 'classification', labels, probabilities: out, classes, outputs }
}
