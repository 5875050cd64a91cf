import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { columnsOf } from '../preprocessing.js'
import { createRng } from '../split.js'
import { fitElasticNet } from './elastic-net.js'
import { fitLeastSquares } from './least-squares.js'

/** n × p column-major Gaussian-ish design and y = X·w + b + noise. */
function synthetic(n: number, w: number[], b: number, noise: number, seed = 1) {
  const rng = createRng(seed)
  const p = w.length
  const data = new Float64Array(n * p)
  for (let k = 0; k < data.length; k++) data[k] = rng() * 2 - 1
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = b + noise * (rng() - 0.5)
    for (let j = 0; j < p; j++) s += data[j * n + i]! * w[j]!
    y[i] = s
  }
  return { X: { ...columnsOf({ rows: n, cols: p, data }), data }, y }
}

describe('fitElasticNet', () => {
  it('meets the optimality conditions of the scikit-learn objective', () => {
    const { X, y } = synthetic(200, [3, -2, 0, 0.5, 0], 1, 0.5)
    const alpha = 0.05
    const l1 = 0.7
    const fit = fitElasticNet(X, y, { alpha, l1Ratio: l1, tol: 1e-10, maxIter: 10_000 })
    const n = X.rows
    // Gradient of the smooth part: -(1/n) Xᵀ(y - Xw - b) + alpha(1-l1) w ; subgradient of alpha·l1·|w|.
    for (let j = 0; j < X.cols; j++) {
      let g = 0
      for (let i = 0; i < n; i++) {
        let pred = fit.intercept
        for (let k = 0; k < X.cols; k++) pred += X.data[k * n + i]! * fit.coef[k]!
        g -= (X.data[j * n + i]! * (y[i]! - pred)) / n
      }
      g += alpha * (1 - l1) * fit.coef[j]!
      if (fit.coef[j] !== 0) assert.ok(Math.abs(g + alpha * l1 * Math.sign(fit.coef[j]!)) < 1e-6, `feature ${j}`)
      else assert.ok(Math.abs(g) <= alpha * l1 + 1e-6, `feature ${j} at zero`)
    }
  })

  it('sets irrelevant coefficients to exactly zero as lasso', () => {
    const { X, y } = synthetic(300, [2, 0, 0, -1], 0, 0.1, 3)
    const fit = fitElasticNet(X, y, { alpha: 0.1, l1Ratio: 1, tol: 1e-8, maxIter: 1000 })
    assert.ok(fit.coef[1] === 0)
    assert.ok(fit.coef[2] === 0)
    assert.ok(fit.coef[0]! > 1.5 && fit.coef[3]! < -0.5)
  })

  it('agrees with the exact ridge solution when l1_ratio is 0', () => {
    const { X, y } = synthetic(100, [1, 2, 3], 4, 0.3, 5)
    const alpha = 0.2
    const cd = fitElasticNet(X, y, { alpha, l1Ratio: 0, tol: 1e-14, maxIter: 100_000 })
    // ElasticNet's ½·alpha·||w||² on the 1/(2n) scale equals Ridge's alpha·n·||w||².
    const exact = fitLeastSquares(X, y, alpha * X.rows)
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(cd.coef[j]! - exact.coef[j]!) < 1e-6)
    assert.ok(Math.abs(cd.intercept - exact.intercept) < 1e-6)
  })
})

describe('fitLeastSquares', () => {
  it('recovers exact coefficients from noiseless data', () => {
    const { X, y } = synthetic(50, [1.5, -2, 0.25], 3, 0)
    const fit = fitLeastSquares(X, y, 0)
    assert.deepEqual(
      Array.from(fit.coef, (v) => Number(v.toFixed(9))),
      [1.5, -2, 0.25],
    )
    assert.ok(Math.abs(fit.intercept - 3) < 1e-9)
  })

  it('solves the ridge normal equations when the rows span several accumulation blocks', () => {
    // 10,007 rows: two full 4,096-row blocks of the Gram accumulation and a partial third.
    const { X, y } = synthetic(10_007, [0.5, -1, 2, 0, 1.25], -2, 1, 7)
    const alpha = 3
    const fit = fitLeastSquares(X, y, alpha)
    const n = X.rows
    const resid = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      let pred = fit.intercept
      for (let j = 0; j < X.cols; j++) pred += X.data[j * n + i]! * fit.coef[j]!
      resid[i] = y[i]! - pred
    }
    // Stationarity of ||y - Xw - b||² + alpha·||w||²: Xᵀr = alpha·w and Σr = 0.
    let sum = 0
    for (let i = 0; i < n; i++) sum += resid[i]!
    assert.ok(Math.abs(sum) < 1e-6, `sum of residuals ${sum}`)
    for (let j = 0; j < X.cols; j++) {
      let xr = 0
      for (let i = 0; i < n; i++) xr += X.data[j * n + i]! * resid[i]!
      assert.ok(Math.abs(xr - alpha * fit.coef[j]!) < 1e-6, `feature ${j}: ${xr} vs ${alpha * fit.coef[j]!}`)
    }
  })

  it('still answers for a duplicated column', () => {
    const { X, y } = synthetic(40, [1, 1], 0, 0)
    X.data.copyWithin(40, 0, 40) // column 1 := column 0
    const fit = fitLeastSquares(X, y, 0)
    assert.ok(Number.isFinite(fit.coef[0]!) && Number.isFinite(fit.coef[1]!))
  })
})
