import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { columnsOf } from '../preprocessing.js'
import { createRng } from '../split.js'
import { centredGram, columnMeans } from './gram.js'

describe('centredGram', () => {
  // p + 1 columns with y: 7 leaves a last row on its own, 8 pairs every row.
  for (const p of [6, 7])
    it(`equals centring first and taking one dot product per pair, across several row blocks (${p} features)`, () => {
      const rng = createRng(3)
      const n = 10_007 // three 4,096-row blocks, the last one partial
      const data = Float64Array.from({ length: n * p }, () => rng() * 4 + 1)
      const y = Float64Array.from({ length: n }, () => rng() - 2)
      const X = columnsOf({ rows: n, cols: p, data })
      const { xMean, yMean } = columnMeans(X, y)
      const { gram, xty } = centredGram(X, y, xMean, yMean)
      const centred = (j: number) => X.columns[j]!.map((v) => v - xMean[j]!)
      const yc = y.map((v) => v - yMean)
      const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0)
      for (let a = 0; a < p; a++) {
        for (let b = 0; b < p; b++) assert.equal(gram[a * p + b], dot(centred(Math.max(a, b)), centred(Math.min(a, b))))
        assert.equal(xty[a], dot(centred(a), yc))
      }
    })
})
