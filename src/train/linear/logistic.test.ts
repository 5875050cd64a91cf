import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { columnsOf } from '../preprocessing.js'
import { createRng } from '../split.js'
import { fitLogistic } from './logistic.js'

function blobs(n: number, classCount: number, seed: number) {
  const rng = createRng(seed)
  const data = new Float64Array(n * 2)
  const y = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const k = i % classCount
    y[i] = k
    data[i] = Math.cos((2 * Math.PI * k) / classCount) * 2 + rng() * 2 - 1
    data[n + i] = Math.sin((2 * Math.PI * k) / classCount) * 2 + rng() * 2 - 1
  }
  return { X: { ...columnsOf({ rows: n, cols: 2, data }), data }, y }
}

describe('fitLogistic', () => {
  it('zeroes the gradient of the penalised binary objective', () => {
    const { X, y } = blobs(200, 2, 1)
    const C = 0.5
    const fit = fitLogistic(X, y, 2, { C, maxIter: 500, tol: 1e-10 })
    assert.equal(fit.rows, 1)
    const n = X.rows
    const g = new Float64Array(3)
    for (let i = 0; i < n; i++) {
      const z = fit.intercept[0]! + fit.coef[0]! * X.data[i]! + fit.coef[1]! * X.data[n + i]!
      const r = 1 / (1 + Math.exp(-z)) - y[i]!
      g[0] = g[0]! + C * r * X.data[i]!
      g[1] = g[1]! + C * r * X.data[n + i]!
      g[2] = g[2]! + C * r
    }
    g[0] = g[0]! + fit.coef[0]!
    g[1] = g[1]! + fit.coef[1]!
    for (const v of g) assert.ok(Math.abs(v) < 1e-5, `gradient ${v}`)
  })

  it('zeroes the gradient when the rows span several blocks of the objective', () => {
    // 9,001 rows: two full 4,096-row blocks and a partial third; binary and multinomial.
    for (const K of [2, 3]) {
      const { X, y } = blobs(9_001, K, 11)
      const C = 0.01
      const fit = fitLogistic(X, y, K, { C, maxIter: 1000, tol: 1e-10 })
      const n = X.rows
      const rows = K === 2 ? 1 : K
      const g = new Float64Array(rows * 3) // per row: [w0, w1, b]
      const z = new Float64Array(rows)
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < rows; k++) z[k] = fit.intercept[k]! + fit.coef[k * 2]! * X.data[i]! + fit.coef[k * 2 + 1]! * X.data[n + i]!
        const max = Math.max(...z)
        const norm = Array.from(z, (v) => Math.exp(v - max)).reduce((a, b) => a + b, 0)
        for (let k = 0; k < rows; k++) {
          const p = rows === 1 ? 1 / (1 + Math.exp(-z[0]!)) : Math.exp(z[k]! - max) / norm
          const r = p - (rows === 1 ? y[i]! : y[i] === k ? 1 : 0)
          g[k * 3] = g[k * 3]! + C * r * X.data[i]!
          g[k * 3 + 1] = g[k * 3 + 1]! + C * r * X.data[n + i]!
          g[k * 3 + 2] = g[k * 3 + 2]! + C * r
        }
      }
      for (let k = 0; k < rows; k++) {
        g[k * 3] = g[k * 3]! + fit.coef[k * 2]!
        g[k * 3 + 1] = g[k * 3 + 1]! + fit.coef[k * 2 + 1]!
      }
      for (const v of g) assert.ok(Math.abs(v) < 1e-4, `${K} classes: gradient ${v}`)
    }
  })

  it('fits a multinomial model with one weight row per class', () => {
    const { X, y } = blobs(300, 3, 2)
    const fit = fitLogistic(X, y, 3, { C: 1, maxIter: 500, tol: 1e-8 })
    assert.equal(fit.rows, 3)
    let hits = 0
    for (let i = 0; i < X.rows; i++) {
      let best = 0
      let bestZ = -Infinity
      for (let k = 0; k < 3; k++) {
        const z = fit.intercept[k]! + fit.coef[k * 2]! * X.data[i]! + fit.coef[k * 2 + 1]! * X.data[X.rows + i]!
        if (z > bestZ) {
          bestZ = z
          best = k
        }
      }
      if (best === y[i]) hits++
    }
    assert.ok(hits / X.rows > 0.9)
    assert.ok(fit.converged)
  })
})
