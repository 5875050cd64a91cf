import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Prediction } from '../models/index.js'
import { concatBatches, MicroBatcher, slicePrediction } from './micro-batcher.js'
import type { RunningServing } from './serve-model.js'
import { diabetesColumns, diabetesRows, postJson, serveDir, trainDiabetes } from './test-fixtures.js'

describe('MicroBatcher', () => {
  it('scores concurrent requests in one run and gives each its own rows', async () => {
    const runs: number[] = []
    const batcher = new MicroBatcher(
      async (b) => {
        runs.push(b.rowCount)
        const values = Float64Array.from(b.columns[0] as Float64Array, (v) => v * 10)
        return { rowCount: b.rowCount, task: 'regression', values, outputs: { prediction: { dims: [b.rowCount, 1], data: values } } } satisfies Prediction
      },
      64,
      200,
    )
    const batches = [1, 2, 3].map((k) => ({ rowCount: k, columns: [Float64Array.from({ length: k }, (_, i) => k * 100 + i)] }))
    const results = await Promise.all(batches.map((b) => batcher.submit(b)))
    assert.deepEqual(runs, [6])
    assert.deepEqual(
      results.map((r) => Array.from(r.values!)),
      [[1000], [2000, 2010], [3000, 3010, 3020]],
    )
    assert.deepEqual(results[2]!.outputs['prediction']!.dims, [3, 1])
  })

  it('concatenates numeric and text columns and slices every output along rows', () => {
    const c = concatBatches([
      { rowCount: 1, columns: [Float64Array.of(1), ['a']] },
      { rowCount: 2, columns: [Float64Array.of(2, 3), ['b', 'c']] },
    ])
    assert.deepEqual(Array.from(c.columns[0] as Float64Array), [1, 2, 3])
    assert.deepEqual(c.columns[1], ['a', 'b', 'c'])
    const p: Prediction = {
      rowCount: 3,
      task: 'classification',
      labels: [0, 1, 1],
      probabilities: Float64Array.of(0.9, 0.1, 0.2, 0.8, 0.3, 0.7),
      classes: [0, 1],
      outputs: { label: { dims: [3], data: [0, 1, 1] } },
    }
    const s = slicePrediction(p, 1, 2)
    assert.deepEqual(s.labels, [1, 1])
    assert.deepEqual(Array.from(s.probabilities!), [0.2, 0.8, 0.3, 0.7])
    assert.deepEqual(s.outputs['label'], { dims: [2], data: [1, 1] })
  })
})

describe('serving an ONNX model with micro-batching', () => {
  let batched: RunningServing
  let plain: RunningServing
  before(async () => {
    const dir = await trainDiabetes()
    batched = await serveDir(dir, { backend: 'onnxruntime', batchMaxRows: 32, batchMaxWaitUs: 300 })
    plain = await serveDir(dir, { backend: 'native' })
  })
  after(async () => {
    await batched.close(100)
    await plain.close(100)
  })

  it('answers 64 concurrent requests exactly as the unbatched native server does', async () => {
    const bodies = Array.from({ length: 64 }, (_, i) => ({ dataframe_split: { columns: diabetesColumns, data: diabetesRows(1 + (i % 3), i + 1) } }))
    const a = await Promise.all(bodies.map((b) => postJson(`${batched.url}/invocations`, b)))
    const b = await Promise.all(bodies.map((body) => postJson(`${plain.url}/invocations`, body)))
    for (let i = 0; i < bodies.length; i++) {
      assert.equal(a[i]!.status, 200, a[i]!.text)
      const x = a[i]!.json().predictions as number[]
      const y = b[i]!.json().predictions as number[]
      assert.equal(x.length, y.length)
      for (const [k, v] of x.entries()) assert.ok(Math.abs(v - y[k]!) < 1e-9 * Math.max(1, Math.abs(y[k]!)), `request ${i} row ${k}: ${v} vs ${y[k]}`)
    }
  })
})
