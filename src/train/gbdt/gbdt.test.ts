import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRng } from '../split.js'
import { fitBinMapper, binMatrix } from './binning.js'
import { defaultGbdtOptions, fitGbdt, predictGbdtRaw } from './gbdt.js'

function matrix(columns: number[][]) {
  const rows = columns[0]!.length
  return { rows, cols: columns.length, data: Float64Array.from(columns.flat()) }
}

describe('binning', () => {
  it('uses midpoints between few distinct values and a separate bin for missing ones', () => {
    const X = matrix([[1, 2, 2, 3, Number.NaN]])
    const mapper = fitBinMapper(X, 255, 0)
    assert.deepEqual(Array.from(mapper.edges[0]!), [1.5, 2.5])
    assert.deepEqual(Array.from(binMatrix(mapper, X)), [0, 1, 1, 2, 255])
  })

  it('puts x in the first bin b with x <= edges[b], for any number of edges up to 254', () => {
    const rng = createRng(9)
    for (const maxBins of [2, 3, 17, 128, 255]) {
      const values = Array.from({ length: 3000 }, () => Math.round(rng() * 1e4) / 100)
      const X = matrix([values])
      const mapper = fitBinMapper(X, maxBins, 0)
      const e = mapper.edges[0]!
      const probes = [...values, ...e, -Infinity, Infinity, e[0]! - 1, e[e.length - 1]! + 1]
      const bins = binMatrix(mapper, matrix([probes]))
      for (const [i, x] of probes.entries()) {
        const above = e.findIndex((edge) => x <= edge)
        assert.equal(bins[i], above === -1 ? e.length : above, `x=${x}, ${maxBins} bins`)
      }
    }
  })

  it('caps the number of bins with quantiles', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i)
    const mapper = fitBinMapper(matrix([values]), 16, 0)
    assert.equal(mapper.edges[0]!.length, 15)
  })
})

describe('fitGbdt', () => {
  it('learns a step function with missing values sent the learned way', () => {
    const rng = createRng(4)
    const n = 400
    const x = Array.from({ length: n }, () => rng() * 10)
    const y = Float64Array.from(x, (v) => (v > 5 ? 10 : 0))
    // Missing behaves like "high".
    for (let i = 0; i < n; i += 10) {
      x[i] = Number.NaN
      y[i] = 10
    }
    const X = matrix([x])
    const model = fitGbdt(X, y, 'squared_error', 0, { ...defaultGbdtOptions, maxIter: 50, minSamplesLeaf: 5 })
    const raw = predictGbdtRaw(model, matrix([[1, 9, Number.NaN]]))
    assert.ok(Math.abs(raw[0]! - 0) < 0.5, `low ${raw[0]}`)
    assert.ok(Math.abs(raw[1]! - 10) < 0.5, `high ${raw[1]}`)
    assert.ok(Math.abs(raw[2]! - 10) < 0.5, `missing ${raw[2]}`)
  })

  it('respects max_depth and max_leaf_nodes', () => {
    const rng = createRng(5)
    const x = Array.from({ length: 500 }, () => rng())
    const y = Float64Array.from(x, (v) => Math.sin(10 * v))
    const model = fitGbdt(matrix([x]), y, 'squared_error', 0, { ...defaultGbdtOptions, maxIter: 3, maxDepth: 2, maxLeafNodes: null, minSamplesLeaf: 1 })
    for (const t of model.trees) assert.ok(t.value.filter((_, i) => t.left[i]! < 0).length <= 4)
    const m2 = fitGbdt(matrix([x]), y, 'squared_error', 0, { ...defaultGbdtOptions, maxIter: 3, maxLeafNodes: 5, minSamplesLeaf: 1 })
    for (const t of m2.trees) assert.equal(t.left.filter((l) => l < 0).length, 5)
  })

  it('fits multiclass with one tree per class per iteration', () => {
    const rng = createRng(6)
    const n = 300
    const x = Array.from({ length: n }, () => rng() * 3)
    const y = Float64Array.from(x, (v) => Math.floor(v))
    const model = fitGbdt(matrix([x]), y, 'log_loss', 3, { ...defaultGbdtOptions, maxIter: 20 })
    assert.equal(model.outputs, 3)
    assert.equal(model.trees.length, 60)
    const raw = predictGbdtRaw(model, matrix([[0.5, 1.5, 2.5]]))
    for (let i = 0; i < 3; i++) {
      const row = [raw[i * 3]!, raw[i * 3 + 1]!, raw[i * 3 + 2]!]
      assert.equal(row.indexOf(Math.max(...row)), i)
    }
  })

  it('stops early when the validation loss stops improving', () => {
    const rng = createRng(7)
    const n = 400
    const x = Array.from({ length: n }, () => rng())
    const y = Float64Array.from({ length: n }, () => rng()) // pure noise: nothing to learn
    const progress: number[] = []
    const model = fitGbdt(matrix([x]), y, 'squared_error', 0, { ...defaultGbdtOptions, maxIter: 200, earlyStopping: true, nIterNoChange: 5 }, (p) =>
      progress.push(p.iteration),
    )
    assert.ok(model.iterations < 200, `ran ${model.iterations} iterations`)
    assert.equal(progress.length, model.iterations)
  })
})
