import assert from 'node:assert/strict'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningServer, getJson, postJson, startServer } from '../integration/server-process.js'
import { TrackingError } from './fetch-json.js'
import { chunkBatch, proxiedPath, TrackingClient } from './tracking-client.js'
import { tempDir } from '../testing/fixtures.js'

describe('TrackingClient against a real wharf server', () => {
  let server: RunningServer
  let dir: string
  before(async () => {
    dir = await tempDir('client')
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')])
  })
  after(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('creates an experiment once and finds it by name afterwards', async () => {
    const client = new TrackingClient({ trackingUri: server.url })
    const first = await client.getOrCreateExperiment('demo')
    const second = await client.getOrCreateExperiment('demo')
    assert.equal(first, second)
    const found = await postJson(server.url, 'experiments/search', { filter: "name = 'demo'" })
    assert.equal(found.body.experiments.length, 1)
  })

  it('splits a large batch within MLflow log-batch limits and every point arrives', async () => {
    const client = new TrackingClient({ trackingUri: server.url })
    const run = await client.createRun(await client.getOrCreateExperiment('batches'))
    const metrics = Array.from({ length: 2500 }, (_, i) => ({ key: 'loss', value: i, timestamp: 1, step: i }))
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }))
    await client.logBatch(run.run_id, { metrics, params })
    const history = await getJson(server.url, `metrics/get-history?run_id=${run.run_id}&metric_key=loss`)
    assert.deepEqual(
      history.body.metrics.map((m: { step: number }) => m.step),
      metrics.map((m) => m.step),
    )
    const got = await getJson(server.url, `runs/get?run_id=${run.run_id}`)
    assert.equal(got.body.run.data.params.length, 150)
  })

  it('sends non-finite metric values so they read back as NaN and -Infinity', async () => {
    const client = new TrackingClient({ trackingUri: server.url })
    const run = await client.createRun(await client.getOrCreateExperiment('nonfinite'))
    await client.logBatch(run.run_id, {
      metrics: [
        { key: 'auc', value: Number.NaN, timestamp: 1, step: 0 },
        { key: 'x', value: -Infinity, timestamp: 1, step: 0 },
      ],
    })
    const got = await getJson(server.url, `runs/get?run_id=${run.run_id}`)
    assert.deepEqual(
      got.body.run.data.metrics.map((m: { value: unknown }) => m.value),
      ['NaN', '-Infinity'],
    )
  })

  it('uploads a folder through the artifact proxy under the run artifact path', async () => {
    const client = new TrackingClient({ trackingUri: server.url })
    const run = await client.createRun(await client.getOrCreateExperiment('uploads'))
    const src = await tempDir('upload')
    await mkdir(join(src, 'sub'))
    await writeFile(join(src, 'MLmodel'), 'flavors: {}')
    await writeFile(join(src, 'sub', 'a b.txt'), 'hello')
    await client.uploadArtifacts(run.artifact_uri, src, 'model')
    const listed = await getJson(server.url, `artifacts/list?run_id=${run.run_id}&path=model`)
    assert.deepEqual(
      listed.body.files.map((f: { path: string }) => f.path),
      ['model/MLmodel', 'model/sub'],
    )
    const file = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${proxiedPath(run.artifact_uri)}/model/sub/a%20b.txt`)
    assert.equal(await file.text(), 'hello')
    await rm(src, { recursive: true, force: true })
  })

  it('surfaces the server error code and message', async () => {
    const client = new TrackingClient({ trackingUri: server.url })
    await assert.rejects(
      client.getRun('0123456789abcdef0123456789abcdef'),
      (err: unknown) => err instanceof TrackingError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST' && err.status === 404 && /not found/.test(err.message),
    )
  })

  it('treats an existing registered model as success and numbers versions', async () => {
    const client = new TrackingClient({ trackingUri: server.url })
    const run = await client.createRun(await client.getOrCreateExperiment('registry'))
    await client.createRegisteredModel('m')
    await client.createRegisteredModel('m')
    const v1 = await client.createModelVersion('m', `${run.artifact_uri}/model`, run.run_id)
    const v2 = await client.createModelVersion('m', `${run.artifact_uri}/model`, run.run_id)
    assert.deepEqual([v1.version, v2.version], ['1', '2'])
  })
})

describe('TrackingClient with an authenticated server', () => {
  it('sends the bearer token when given one', async () => {
    const dir = await tempDir('client-auth')
    const server = await startServer([
      '--backend-store-uri',
      `sqlite:///${join(dir, 'wharf.db')}`,
      '--artifacts-destination',
      join(dir, 'a'),
      '--auth-token',
      's3cret',
    ])
    try {
      await assert.rejects(new TrackingClient({ trackingUri: server.url }).getOrCreateExperiment('x'), { errorCode: 'UNAUTHENTICATED' })
      assert.equal(typeof (await new TrackingClient({ trackingUri: server.url, token: 's3cret' }).getOrCreateExperiment('x')), 'string')
    } finally {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('proxiedPath and chunkBatch', () => {
  it('reads the store path of proxied artifact URIs and refuses others', () => {
    assert.equal(proxiedPath('mlflow-artifacts:/3/r/artifacts'), '3/r/artifacts')
    assert.equal(proxiedPath('mlflow-artifacts://host:8080/3/r/artifacts/'), '3/r/artifacts')
    assert.throws(() => proxiedPath('s3://bucket/x'), /not proxied/)
    assert.throws(() => proxiedPath('mlflow-artifacts:/1/../x'), /'\.\.'/)
  })

  it('returns no chunk for an empty batch', () => {
    assert.deepEqual(chunkBatch({}), [])
  })
})
