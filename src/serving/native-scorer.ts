import { NativeEvaluator, type ColumnValues, type OutputTensor, type Prediction, type WharfModelSpec } from '../models/index.js'

/**
 * Scores Wharf's own models synchronously with the native evaluator, from columns already checked
 * and ordered as the spec's. No promise, no ONNX tensors: one output buffer per call. The same
 * spec generates the ONNX graph, and native-scorer.test.ts checks both agree.
 */
export class NativeScorer {
  readonly #spec: WharfModelSpec
  readonly #evaluator: NativeEvaluator

  constructor(spec: WharfModelSpec) {
    this.#spec = spec
    this.#evaluator = new NativeEvaluator(spec)
  }

  score(columns: readonly ColumnValues[], n: number): Prediction {
    const out = new Float64Array(n * this.#evaluator.width)
    this.#evaluator.evaluate(columns, n, out)
    const classes = this.#spec.classes
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
}
