import assert from 'node:assert/strict'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { startFakeMlflow } from './fake-mlflow-server.js'
import { chunkBatch, proxiedPath, TrackingClient, TrackingError } from './tracking-client.js'

describe('TrackingClient', () => {
  it('creates an experiment once and finds it by name afterwards', async () => {
    const server = await startFakeMlflow()
    const client = new TrackingClient({ trackingUri: server.uri })
    const first = await client.getOrCreateExperiment('demo')
    const second = await client.getOrCreateExperiment('demo')
    assert.equal(first, second)
    assert.equal(server.requests.filter((r) => r.path.endsWith('/experiments/create')).length, 1)
    await server.close()
  })

  it('splits a large batch within MLflow log-batch limits', async () => {
    const server = await startFakeMlflow()
    const client = new TrackingClient({ trackingUri: server.uri })
    const metrics = Array.from({ length: 2500 }, (_, i) => ({ key: 'loss', value: i, timestamp: 1, step: i }))
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }))
    await client.logBatch('r', { metrics, params })
    const batches = server.requests.filter((r) => r.path.endsWith('/runs/log-batch'))
    assert.equal(batches.reduce((s, b) => s + b.body.metrics.length, 0), 2500)
    assert.equal(batches.reduce((s, b) => s + b.body.params.length, 0), 150)
    for (const b of batches) assert.ok(b.body.metrics.length + b.body.params.length + b.body.tags.length <= 1000)
    await server.close()
  })

  it('sends non-finite metric values as protobuf JSON strings', async () => {
    const server = await startFakeMlflow()
    await new TrackingClient({ trackingUri: server.uri }).logBatch('r', { metrics: [{ key: 'auc', value: Number.NaN, timestamp: 1, step: 0 }, { key: 'x', value: -Infinity, timestamp: 1, step: 0 }] })
    const sent = server.requests.find((r) => r.path.endsWith('/runs/log-batch'))!.body.metrics
    assert.deepEqual(sent.map((m: { value: unknown }) => m.value), ['NaN', '-Infinity'])
    await server.close()
  })

  it('uploads a folder through the artifact proxy under the run artifact path', async () => {
    const server = await startFakeMlflow()
    const client = new TrackingClient({ trackingUri: server.uri })
    const dir = await mkdtemp(join(tmpdir(), 'wharf-upload-'))
    await mkdir(join(dir, 'sub'))
    await writeFile(join(dir, 'MLmodel'), 'flavors: {}')
    await writeFile(join(dir, 'sub', 'a b.txt'), 'hello')
    await client.uploadArtifacts('mlflow-artifacts:/1/abc/artifacts', dir, 'model')
    assert.deepEqual([...server.artifacts.keys()].sort(), ['1/abc/artifacts/model/MLmodel', '1/abc/artifacts/model/sub/a b.txt'])
    assert.equal(server.artifacts.get('1/abc/artifacts/model/sub/a b.txt')!.toString(), 'hello')
    await server.close()
  })

  it('surfaces the server error code and message', async () => {
    const server = await startFakeMlflow()
    const client = new TrackingClient({ trackingUri: server.uri })
    await assert.rejects(client.getRun('nope'), (err: unknown) => err instanceof TrackingError && err.errorCode === 'ENDPOINT_NOT_FOUND' && err.status === 404 && /no route/.test(err.message))
    await server.close()
  })

  it('sends the bearer token when given one', async () => {
    const server = await startFakeMlflow({ token: 's3cret' })
    await assert.rejects(new TrackingClient({ trackingUri: server.uri }).getOrCreateExperiment('x'), { errorCode: 'UNAUTHENTICATED' })
    assert.equal(typeof (await new TrackingClient({ trackingUri: server.uri, token: 's3cret' }).getOrCreateExperiment('x')), 'string')
    await server.close()
  })

  it('treats an existing registered model as success and numbers versions', async () => {
    const server = await startFakeMlflow()
    const client = new TrackingClient({ trackingUri: server.uri })
    await client.createRegisteredModel('m')
    await client.createRegisteredModel('m')
    const v = await client.createModelVersion('m', 'mlflow-artifacts:/1/r/artifacts/model', 'r')
    assert.equal(v.version, '1')
    await server.close()
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
