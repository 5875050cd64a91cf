import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runTrain } from '../train/run-train.js'
import type { Prediction } from '../models/index.js'
import { Predictor } from './predictor.js'
import { dataDir, diabetesRows, trainDiabetes } from './test-fixtures.js'
import { tempDir } from '../testing/fixtures.js'

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))

describe('native evaluator versus ONNX Runtime', () => {
  it('predicts the diabetes elastic net the same way natively and through ONNX Runtime', async () => {
    const dir = await trainDiabetes()
    const native = await Predictor.load(dir)
    const onnx = await Predictor.load(dir, { backend: 'onnxruntime' })
    assert.equal(native.backend, 'native')
    assert.equal(onnx.backend, 'onnxruntime')
    const batch = native.schema!.fromRows(diabetesRows(500, 7))
    const a = (await native.predict(batch)) as Prediction
    const b = await onnx.predict(onnx.schema!.fromRows(diabetesRows(500, 7)))
    assert.equal(a.values!.length, 500)
    for (let i = 0; i < 500; i++) assert.ok(close(a.values![i]!, b.values![i]!), `row ${i}: ${a.values![i]} vs ${b.values![i]}`)
    await onnx.close()
  })

  it('predicts a classifier the same way natively and through ONNX Runtime', async () => {
    const out = join(await tempDir('serve-iris'), 'model')
    await runTrain({ data: join(dataDir, 'iris.csv'), target: 'species', model: 'logistic', output: out, log: () => {} })
    const native = await Predictor.load(out)
    const onnx = await Predictor.load(out, { backend: 'onnxruntime' })
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.1, 4.4, 1.4],
      [7.7, 3.0, 6.1, 2.3],
    ]
    const a = (await native.predict(native.schema!.fromRows(rows))) as Prediction
    const b = await onnx.predict(onnx.schema!.fromRows(rows))
    assert.deepEqual(a.labels, b.labels)
    assert.equal(new Set(a.labels).size, 3)
    await onnx.close()
  })
})
