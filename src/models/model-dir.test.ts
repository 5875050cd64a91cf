import assert from 'node:assert/strict'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import { readModelDir, writeModelDir } from './model-dir.js'
import { exportOnnx } from './onnx/export.js'
import { linearRegression } from './test-models.js'
import { tempDir } from '../testing/fixtures.js'

async function writeMlmodel(dir: string, flavors: Record<string, unknown>) {
  await mkdir(dir, { recursive: true })
  const yaml = JSON.stringify({ flavors }) // JSON is YAML
  await writeFile(join(dir, 'MLmodel'), yaml)
}

describe('writeModelDir and readModelDir', () => {
  it('write an MLflow model directory that reads back with its signature and wharf spec', async () => {
    const dir = await tempDir('model-dir')
    await writeModelDir(dir, {
      onnx: exportOnnx(linearRegression, 'test'),
      wharf: linearRegression,
      wharfVersion: 'test',
      runId: 'abc123',
      artifactPath: 'model',
      signature: { inputs: [{ type: 'double', name: 'x1', required: true }], outputs: [{ type: 'double', name: 'prediction', required: true }] },
      inputExample: { columns: ['x1'], data: [[1], [null]] },
    })
    const doc = parse(await readFile(join(dir, 'MLmodel'), 'utf8')) as Record<string, any>
    assert.equal(doc['flavors'].python_function.loader_module, 'mlflow.onnx')
    assert.equal(doc['flavors'].onnx.data, 'model.onnx')
    assert.equal(doc['run_id'], 'abc123')
    assert.match(doc['utc_time_created'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/)
    assert.equal(typeof doc['signature'].inputs, 'string')
    assert.deepEqual(doc['saved_input_example_info'], {
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
    })
    assert.match(await readFile(join(dir, 'requirements.txt'), 'utf8'), /onnxruntime/)
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'input_example.json'), 'utf8')), { columns: ['x1'], data: [[1], [null]] })
    const read = await readModelDir(dir)
    assert.deepEqual(read.signature?.inputs, [{ type: 'double', name: 'x1', required: true }])
    assert.deepEqual(read.wharf, linearRegression)
  })

  it('names the flavors of a model without an onnx flavor', async () => {
    const dir = await tempDir('model-dir')
    await writeMlmodel(dir, { python_function: { loader_module: 'mlflow.sklearn', model_path: 'model.pkl' }, sklearn: { pickled_model: 'model.pkl' } })
    await assert.rejects(readModelDir(dir), {
      message: /^model has no onnx flavor \(flavors: python_function, sklearn\); serve it through a Python worker with --python-env/,
    })
  })

  it('refuses a directory without MLmodel', async () => {
    await assert.rejects(readModelDir(await tempDir('model-dir')), /no MLmodel file/)
  })

  for (const [label, data] of [
    ['a parent path', '../model.onnx'],
    ['an absolute path', '/etc/passwd'],
    ['a nested parent path', 'sub/../../x.onnx'],
  ] as const) {
    it(`refuses onnx data given as ${label}`, async () => {
      const dir = await tempDir('model-dir')
      await writeMlmodel(dir, { onnx: { data } })
      await assert.rejects(readModelDir(dir), /inside the model directory/)
    })
  }

  it('refuses onnx data that is a symbolic link out of the directory', async () => {
    const outside = await tempDir('model-dir')
    await writeFile(join(outside, 'secret.onnx'), 'x')
    const dir = await tempDir('model-dir')
    await writeMlmodel(dir, { onnx: { data: 'model.onnx' } })
    await symlink(join(outside, 'secret.onnx'), join(dir, 'model.onnx'))
    await assert.rejects(readModelDir(dir), /resolves outside the model directory/)
  })

  it('refuses an ONNX file whose external data points outside the directory', async () => {
    const { ModelProto } = await import('./onnx/onnx-proto.js')
    const bytes = ModelProto.encode(
      ModelProto.fromObject({
        irVersion: 8,
        graph: {
          name: 'g',
          initializer: [{ name: 'w', dims: [1], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: '../../etc/passwd' }] }],
        },
      }),
    ).finish()
    const dir = await tempDir('model-dir')
    await writeMlmodel(dir, { onnx: { data: 'model.onnx' } })
    await writeFile(join(dir, 'model.onnx'), bytes)
    await assert.rejects(readModelDir(dir), /ONNX external data location/)
  })
})
