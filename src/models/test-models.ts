import { wharfModelFormat, type WharfModelSpec } from './wharf-model.js'

/** Small hand-made specs shared by the models tests (not a test file itself). */
export const linearRegression: WharfModelSpec = {
  format: wharfModelFormat,
  algorithm: 'elasticnet',
  link: 'identity',
  outputs: 1,
  columns: [
    { name: 'x1', kind: 'numeric', impute: 0.5, center: 1, scale: 2 },
    { name: 'colour', kind: 'string', categories: ['blue', 'red'] },
    { name: 'x2', kind: 'numeric', impute: null, center: 0, scale: 1 },
  ],
  estimator: { kind: 'linear', coef: [1.5, -2, 3, 0.25], intercept: [10] },
}

export const binaryLogistic: WharfModelSpec = {
  format: wharfModelFormat,
  algorithm: 'logistic',
  link: 'logistic',
  outputs: 1,
  classes: [0, 1],
  columns: [
    { name: 'a', kind: 'numeric', impute: 0, center: 0, scale: 1 },
    { name: 'b', kind: 'numeric', impute: 0, center: 0, scale: 1 },
  ],
  estimator: { kind: 'linear', coef: [2, -1], intercept: [0.5] },
}

export const multiclassTrees: WharfModelSpec = {
  format: wharfModelFormat,
  algorithm: 'gbdt',
  link: 'softmax',
  outputs: 3,
  classes: ['setosa', 'versicolor', 'virginica'],
  columns: [
    { name: 'petal', kind: 'numeric', impute: null, center: 0, scale: 1 },
    { name: 'kind', kind: 'string', categories: ['a', 'b'] },
  ],
  estimator: {
    kind: 'trees',
    baseline: [0.1, -0.2, 0.1],
    trees: [0, 1, 2].map((k) => ({
      feature: [0, -1, 2, -1, -1],
      threshold: [Math.fround(2.5), 0, 0.5, 0, 0],
      left: [1, -1, 3, -1, -1],
      right: [2, -1, 4, -1, -1],
      missingLeft: [k === 0, false, true, false, false],
      value: [0, k === 0 ? 1 : -0.5, 0, k === 1 ? 0.8 : -0.1, k === 2 ? 0.9 : -0.3],
    })),
  },
}
