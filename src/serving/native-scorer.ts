import { NativeEvaluator, type ColumnValues, type Prediction, type WharfModelSpec } from '../models/index.js'

/**
 * Scores Wharf's own models synchronously with the native evaluator, from columns already checked
 * and ordered as the spec's. No promise, no ONNX tensors: one output buffer per call. The same
 * spec generates the ONNX graph, and native-scorer.test.ts checks both agree.
 */
export class NativeScorer {
  readonly #evaluator: NativeEvaluator

  constructor(spec: WharfModelSpec) {
    this.#evaluator = new NativeEvaluator(spec)
  }

  score(columns: readonly ColumnValues[], n: number): Prediction {
    return this.#evaluator.predict(columns, n)
  }
}
