import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startFakeMlflow } from '../client/fake-mlflow-server.js'
import { loadModel } from '../models/index.js'
import { runTrain, validateTrainOptions } from './train.js'

const dataDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data')
const quiet = () => {}

describe('validateTrainOptions', () => {
  const base = { data: 'x.csv', target: 'y', model: 'ridge', output: '/tmp/out' }
  it('fills defaults', () => {
    const o = validateTrainOptions(base)
    assert.equal(o.testSize, 0.2)
    assert.equal(o.seed, 42)
    assert.equal(o.experiment, 'Default')
  })
  it('names a bad model, a bad --param and a test size outside (0, 1)', () => {
    assert.throws(() => validateTrainOptions({ ...base, model: 'svm' }), /--model must be one of/)
    assert.throws(() => validateTrainOptions({ ...base, param: ['alpha'] }), /key=value/)
    assert.throws(() => validateTrainOptions({ ...base, param: ['gamma=1'] }), /unknown parameter 'gamma'/)
    assert.throws(() => validateTrainOptions({ ...base, testSize: '1.5' }), /--test-size/)
    assert.throws(() => validateTrainOptions({ ...base, testSize: 0 }), /--test-size/)
    assert.throws(() => validateTrainOptions({ ...base, seed: '-1' }), /--seed/)
  })
  it('needs --output without a tracking server', () => {
    assert.throws(() => validateTrainOptions({ data: 'x.csv', target: 'y', model: 'ols' }), /--output DIR/)
  })
})

describe('runTrain', () => {
  it('writes a loadable model directory and data profile with --output only', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'wharf-train-')), 'model')
    const result = await runTrain({ data: join(dataDir, 'iris.csv'), target: 'species', model: 'logistic', output: out, log: quiet })
    assert.equal(result.task, 'classification')
    assert.ok(result.metrics['accuracy']! > 0.85)
    const profile = JSON.parse(await readFile(join(out, 'data_profile.json'), 'utf8'))
    assert.equal(profile.columns.length, 4)
    const model = await loadModel(out)
    const p = await model.predict({ records: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] })
    assert.deepEqual(p.labels, [0])
  })

  it('explains a missing target column', async () => {
    await assert.rejects(runTrain({ data: join(dataDir, 'iris.csv'), target: 'kind', model: 'logistic', output: '/tmp/never', log: quiet }), /--target 'kind' is not a column/)
  })

  it('explains a non-numeric value in a numeric column', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'wharf-train-')), 'bad.csv')
    await writeFile(file, 'x,y\n1,2\nabc,3\n')
    await assert.rejects(runTrain({ data: file, target: 'y', model: 'ols', output: '/tmp/never', log: quiet }), /line 3, column 'x': 'abc' is not a number/)
  })

  it('logs params, metrics, the model, the profile and a registered version to the tracking server', async () => {
    const server = await startFakeMlflow()
    const lines: string[] = []
    const result = await runTrain({ data: join(dataDir, 'diabetes.csv'), target: 'progression', model: 'gbdt', param: ['max_iter=20'], experiment: 'diabetes', register: 'diabetes-gbdt', trackingUri: server.uri, log: (l) => lines.push(l) })
    assert.equal(result.registeredVersion?.version, '1')
    assert.equal(result.modelUri, `runs:/${result.runId}/model`)
    const prefix = `1/${result.runId}/artifacts/`
    for (const f of ['model/MLmodel', 'model/model.onnx', 'model/wharf_model.json', 'model/input_example.json', 'data_profile.json']) assert.ok(server.artifacts.has(prefix + f), f)
    assert.match(server.artifacts.get(prefix + 'model/MLmodel')!.toString(), new RegExp(`run_id: ${result.runId}`))
    const batch = server.requests.filter((r) => r.path.endsWith('/runs/log-batch')).flatMap((r) => r.body.metrics)
    assert.ok(batch.some((m: { key: string }) => m.key === 'rmse'))
    assert.equal(batch.filter((m: { key: string }) => m.key === 'train_loss').length, 20)
    const version = server.requests.find((r) => r.path.endsWith('/model-versions/create'))!
    assert.equal(version.body.source, `mlflow-artifacts:/1/${result.runId}/artifacts/model`)
    assert.equal(server.runs.get(result.runId!)!.status, 'FINISHED')
    assert.ok(lines.some((l) => /^gbdt: tree 20\/20/.test(l)))
    await server.close()
  })
})
