/**
 * Everything Wharf's native evaluator needs to predict with a model Wharf trained, as plain JSON.
 * It is written as `wharf_model.json` beside `model.onnx` and named by the MLmodel `wharf` flavor;
 * the ONNX graph is generated from the same spec, so the two cannot drift apart.
 */
export const wharfModelFormat = 'wharf-model/1'

/**
 * How one raw input column becomes model features. Numeric: a missing value becomes `impute`
 * (null keeps NaN, for trees that route missing values themselves), then (x - center) / scale.
 * String: one-hot over the training categories; missing and unseen values give all zeros.
 */
export type FeatureColumn =
  | { readonly name: string; readonly kind: 'numeric'; readonly impute: number | null; readonly center: number; readonly scale: number }
  | { readonly name: string; readonly kind: 'string'; readonly categories: readonly string[] }

/**
 * A regression tree as flat arrays. Node 0 is the root; a leaf has left = right = -1 and its
 * contribution (learning rate applied) in `value`. An internal node sends x <= threshold left,
 * x > threshold right, and a missing x by `missingLeft`.
 */
export interface Tree {
  readonly feature: number[]
  readonly threshold: number[]
  readonly left: number[]
  readonly right: number[]
  readonly missingLeft: boolean[]
  readonly value: number[]
}

/** identity: regression; logistic: binary (one score for class 1); softmax: one score per class. */
export type Link = 'identity' | 'logistic' | 'softmax'

export type Estimator =
  /** `coef` is row-major outputs × features; one output unless softmax. */
  | { readonly kind: 'linear'; readonly coef: readonly number[]; readonly intercept: readonly number[] }
  /** `trees[t * outputs + k]` adds to output k. */
  | { readonly kind: 'trees'; readonly baseline: readonly number[]; readonly trees: readonly Tree[] }

export interface WharfModelSpec {
  readonly format: typeof wharfModelFormat
  /** The trainer that produced it: ols, ridge, lasso, elasticnet, logistic, gbdt. */
  readonly algorithm: string
  readonly columns: readonly FeatureColumn[]
  readonly link: Link
  /** Number of scores the estimator produces (1, or the class count for softmax). */
  readonly outputs: number
  /** Class labels, in probability order; absent for regression. */
  readonly classes?: readonly (number | string)[]
  readonly estimator: Estimator
}

export function featureCountOf(columns: readonly FeatureColumn[]): number {
  return columns.reduce((s, c) => s + (c.kind === 'numeric' ? 1 : c.categories.length), 0)
}

/** Output names of a Wharf model's graph: `prediction`, or `label` and one `probability_<class>` each. */
export function outputNamesOf(spec: WharfModelSpec): string[] {
  if (spec.classes === undefined) return ['prediction']
  return ['label', ...spec.classes.map((c) => `probability_${String(c)}`)]
}
