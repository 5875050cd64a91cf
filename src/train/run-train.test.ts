import assert from 'node:assert/strict'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { getJson, startServer } from '../integration/server-process.js'
import { loadModel } from '../models/index.js'
import { runTrain, validateTrainOptions } from './run-train.js'
import { tempDir } from '../testing/fixtures.js'

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
    const out = join(await tempDir('train'), 'model')
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
    await assert.rejects(
      runTrain({ data: join(dataDir, 'iris.csv'), target: 'kind', model: 'logistic', output: '/tmp/never', log: quiet }),
      /--target 'kind' is not a column/,
    )
  })

  it('explains a non-numeric value in a numeric column', async () => {
    const file = join(await tempDir('train'), 'bad.csv')
    await writeFile(file, 'x,y\n1,2\nabc,3\n')
    await assert.rejects(runTrain({ data: file, target: 'y', model: 'ols', output: '/tmp/never', log: quiet }), /line 3, column 'x': 'abc' is not a number/)
  })

  it('logs params, metrics, the model, the profile and a registered version to a real tracking server', async () => {
    const dir = await tempDir('train-server')
    const server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')])
    try {
      const lines: string[] = []
      const result = await runTrain({
        data: join(dataDir, 'diabetes.csv'),
        target: 'progression',
        model: 'gbdt',
        param: ['max_iter=20'],
        experiment: 'diabetes',
        register: 'diabetes-gbdt',
        trackingUri: server.url,
        log: (l) => lines.push(l),
      })
      assert.equal(result.registeredVersion?.version, '1')
      assert.equal(result.modelUri, `runs:/${result.runId}/model`)
      const runRoot = join(dir, 'artifacts', result.experimentId!, result.runId!, 'artifacts')
      for (const f of ['model/MLmodel', 'model/model.onnx', 'model/wharf_model.json', 'model/input_example.json', 'data_profile.json']) {
        assert.ok((await stat(join(runRoot, f))).size > 0, f)
      }
      assert.match(await readFile(join(runRoot, 'model/MLmodel'), 'utf8'), new RegExp(`run_id: ${result.runId}`))
      const run = (await getJson(server.url, `runs/get?run_id=${result.runId}`)).body.run
      assert.equal(run.info.status, 'FINISHED')
      assert.ok(run.data.metrics.some((m: { key: string }) => m.key === 'rmse'))
      const losses = await getJson(server.url, `metrics/get-history?run_id=${result.runId}&metric_key=train_loss`)
      assert.equal(losses.body.metrics.length, 20)
      const version = await getJson(server.url, 'model-versions/get?name=diabetes-gbdt&version=1')
      assert.equal(version.body.model_version.source, `mlflow-artifacts:/${result.experimentId}/${result.runId}/artifacts/model`)
      assert.equal(version.body.model_version.run_id, result.runId)
      const model = await loadModel(join(runRoot, 'model'))
      assert.equal(
        (await model.predict({ records: [{ age: 0.03, sex: 0.05, bmi: 0.06, bp: 0.02, s1: -0.04, s2: -0.03, s3: -0.04, s4: -0.002, s5: 0.02, s6: -0.02 }] }))
          .values?.length,
        1,
      )
      assert.ok(lines.some((l) => /^gbdt: tree 20\/20/.test(l)))
    } finally {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
