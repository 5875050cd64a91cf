import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { writeModelDir } from './model-dir.js'
import { exportOnnx } from './onnx/export.js'
import { loadModel } from './runtime.js'
import { binaryLogistic, linearRegression, multiclassTrees } from './test-models.js'
import type { WharfModelSpec } from './wharf-model.js'
import { tempDir } from '../testing/fixtures.js'

async function saved(spec: WharfModelSpec): Promise<string> {
  const dir = await tempDir('runtime')
  const inputs = spec.columns.map((c) => ({ type: c.kind === 'numeric' ? ('double' as const) : ('string' as const), name: c.name, required: true }))
  await writeModelDir(dir, { onnx: exportOnnx(spec, 'test'), signature: { inputs }, wharf: spec, wharfVersion: 'test' })
  return dir
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) {
  assert.equal(a.length, b.length)
  for (let i = 0; i < a.length; i++)
    assert.ok((Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) || Math.abs(a[i]! - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)), `index ${i}: ${a[i]} vs ${b[i]}`)
}

describe('loadModel', () => {
  it('predicts the same regression values with ONNX Runtime and the native evaluator, missing values and unseen categories included', async () => {
    const dir = await saved(linearRegression)
    const onnx = await loadModel(dir, { backend: 'onnxruntime' })
    const native = await loadModel(dir)
    assert.equal(native.backend, 'native')
    const input = { columns: { x1: Float64Array.of(1, Number.NaN, 3), colour: ['red', 'green', null], x2: [0.5, 1, Number.NaN] } }
    const a = await onnx.predict(input)
    const b = await native.predict(input)
    assert.equal(a.task, 'regression')
    assertClose(a.values!, b.values!)
    // x1=1 → (1-1)/2 = 0; red → [blue 0, red 1] → 3; x2 = 0.5 → 0.125
    assert.equal(b.values![0], 13.125)
    // A missing x2 has no imputation (impute: null): NaN propagates in both.
    assert.ok(Number.isNaN(a.values![2]!) && Number.isNaN(b.values![2]!))
    await onnx.close()
  })

  it('predicts the same labels and probabilities for a binary classifier', async () => {
    const dir = await saved(binaryLogistic)
    const onnx = await loadModel(dir, { backend: 'onnxruntime' })
    const native = await loadModel(dir, { backend: 'native' })
    const input = {
      records: [
        { a: 1, b: 0 },
        { a: -2, b: 1 },
        { a: null, b: 3 },
      ],
    }
    const a = await onnx.predict(input)
    const b = await native.predict(input)
    assert.deepEqual(a.labels, [1, 0, 0])
    assert.deepEqual(a.labels, b.labels)
    assertClose(a.probabilities!, b.probabilities!)
    assert.deepEqual(a.classes, [0, 1])
    assert.deepEqual(b.classes, [0, 1])
    await onnx.close()
  })

  it('predicts the same for boosted trees with string labels, one-hot input and missing values', async () => {
    const dir = await saved(multiclassTrees)
    const onnx = await loadModel(dir, { backend: 'onnxruntime' })
    const native = await loadModel(dir)
    const input = {
      columnNames: ['kind', 'petal'],
      data: [
        ['a', 1],
        ['b', 3],
        [null, null],
        ['zzz', 2.5],
      ],
    }
    const a = await onnx.predict(input)
    const b = await native.predict(input)
    assert.deepEqual(a.labels, b.labels)
    assertClose(a.probabilities!, b.probabilities!, 1e-6) // leaf values travel as float32 in ONNX
    for (let i = 0; i < 4; i++) assertClose([b.probabilities![i * 3]! + b.probabilities![i * 3 + 1]! + b.probabilities![i * 3 + 2]!], [1])
    await onnx.close()
  })

  it('names a missing input column', async () => {
    const native = await loadModel(await saved(binaryLogistic))
    await assert.rejects(native.predict({ records: [{ a: 1 }] }), /missing column 'b'/)
  })
})
