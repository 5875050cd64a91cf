import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { binaryLogistic, linearRegression, multiclassTrees } from '../test-models.js'
import { exportOnnx } from './export.js'
import { ModelProto } from './onnx-proto.js'

type Decoded = {
  graph: { input: { name: string; type: { tensorType: { elemType: number } } }[]; output: { name: string }[]; node: { opType: string; domain: string }[] }
  opsetImport: { domain: string }[]
}

describe('exportOnnx', () => {
  it('declares one typed input per raw column and the regression output', () => {
    const m = ModelProto.toObject(ModelProto.decode(exportOnnx(linearRegression, 'test')), { defaults: true }) as unknown as Decoded
    assert.deepEqual(
      m.graph.input.map((i) => [i.name, i.type.tensorType.elemType]),
      [
        ['x1', 11],
        ['colour', 8],
        ['x2', 11],
      ],
    )
    assert.deepEqual(
      m.graph.output.map((o) => o.name),
      ['prediction'],
    )
    const ops = m.graph.node.map((n) => n.opType)
    for (const op of ['OneHotEncoder', 'IsNaN', 'Where', 'Sub', 'Div', 'MatMul', 'Add']) assert.ok(ops.includes(op), op)
  })

  it('gives classifiers a label output and one probability output per class', () => {
    const m = ModelProto.toObject(ModelProto.decode(exportOnnx(binaryLogistic, 'test'))) as unknown as Decoded
    assert.deepEqual(
      m.graph.output.map((o) => o.name),
      ['label', 'probability_0', 'probability_1'],
    )
  })

  it('exports boosted trees with the ai.onnx.ml tree ensemble operator', () => {
    const m = ModelProto.toObject(ModelProto.decode(exportOnnx(multiclassTrees, 'test'))) as unknown as Decoded
    assert.ok(m.graph.node.some((n) => n.opType === 'TreeEnsembleRegressor' && n.domain === 'ai.onnx.ml'))
    assert.deepEqual(
      m.graph.output.map((o) => o.name),
      ['label', 'probability_setosa', 'probability_versicolor', 'probability_virginica'],
    )
  })

  it('refuses a column named like an output', () => {
    const spec = {
      ...linearRegression,
      columns: [{ name: 'prediction', kind: 'numeric' as const, impute: null, center: 0, scale: 1 }],
      estimator: { kind: 'linear' as const, coef: [1], intercept: [0] },
    }
    assert.throws(() => exportOnnx(spec, 'test'), /clashes with a model output name/)
  })
})
