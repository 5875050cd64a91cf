import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RegistryApp, makeRegistryApp } from '../server/test-registry-app.js'
import { tempDir } from '../testing/fixtures.js'

/**
 * docs/security.md §3.2 vectors for model-versions/create, adapted to Wharf's stricter rule: a source
 * must resolve inside Wharf's artifact store (a run's artifacts, a logged model, the proxy).
 */
describe('model version source validation', () => {
  let dir: string
  let w: RegistryApp
  let runId: string
  let runUri: string
  let otherRunUri: string
  let modelId: string
  let modelUri: string
  const prompt = { key: 'mlflow.prompt.is_prompt', value: 'true' }

  before(async () => {
    dir = await tempDir('source')
    w = makeRegistryApp(join(dir, 'artifacts'))
    const run = await w.tracking.createRun({ experimentId: '0', tags: [] })
    ;({ runId, artifactUri: runUri } = run.info)
    otherRunUri = (await w.tracking.createRun({ experimentId: '0', tags: [] })).info.artifactUri
    const lm = await w.trackingStore.createLoggedModel({
      modelId: 'm-fedcba9876543210fedcba9876543210',
      experimentId: '0',
      name: 'model',
      sourceRunId: runId,
      params: [],
      tags: [],
      time: 1,
    })
    ;({ modelId, artifactUri: modelUri } = lm)
    await w.post('registered-models/create', { name: 'target' })
  })
  after(async () => {
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })

  const create = (prefix: string, body: Record<string, unknown>) => w.post(`${prefix}/model-versions/create`, { name: 'target', ...body })
  const prefixes = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']

  async function assertRefused(body: Record<string, unknown>): Promise<void> {
    for (const prefix of prefixes) {
      const res = await create(prefix, body)
      assert.equal(res.status, 400, `${prefix} ${JSON.stringify(body)} answered ${res.status} ${JSON.stringify(res.body)}`)
      assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE', JSON.stringify(body))
    }
  }

  const localWithoutRun = ['/etc', '/tmp', 'file:///etc/', 'file://./etc', './etc', 'etc', '~/.ssh']
  const hostConfusion = [
    '//proc/self/root/etc',
    'file://localhost/etc/',
    'file://127.0.0.1/etc/',
    'file://123.456.789.123/path',
    '\\\\host\\share',
    'C:/Windows/win.ini',
    'c:foo',
  ]
  const remoteTraversal = [
    'mlflow-artifacts://host:9000/models/../../../',
    'http://host:9000/models/../../../',
    'https://host/api/2.0/mlflow-artifacts/artifacts/../../../',
    's3a://b/api/2.0/mlflow-artifacts/artifacts/../../../',
    'ftp://host:8888/models/../../../',
    'mlflow-artifacts://host:9000/models/..%2f..%2fartifacts',
    'mlflow-artifacts://host:9000/models/artifact%00',
    'dbfs:/run/artifacts/a%3f/../../../../',
    'http://h/x%23/../../../../etc',
    'mlflow-artifacts:/models/%2e%2e/x',
    'mlflow-artifacts:/models/%252e%252e%252f/x',
    'mlflow-artifacts:/models/%25252e%25252e/x',
    'mlflow-artifacts:/models/..+/x',
    'mlflow-artifacts:/models/%2e%2e%2B/x',
    'mlflow-artifacts:/models/+..+/x',
    'mlflow-artifacts:/models/a#/../../b',
    'mlflow-artifacts:/models/a?/../../b',
    'mlflow-artifacts:/models/a%3f/../../b',
    'mlflow-artifacts:/models/%zz',
    'mlflow-artifacts:/models/%EF%BC%8E%EF%BC%8E/x',
    'mlflow-artifacts:/models\\..\\..\\x',
    'mlflow-artifacts://user:pw@evil.example/models',
    'mlflow-artifacts:/',
    'mlflow-artifacts:models',
  ]
  const elsewhere = [
    'http://example.com/model',
    'https://example.com/model',
    's3://bucket/model',
    'gs://bucket/model',
    'ftp://host/model',
    'gopher://h/x',
    'hdfs://nn/model',
    'dbfs:/model',
  ]

  it('refuses local paths and file: URIs given without run_id', async () => {
    for (const source of localWithoutRun) await assertRefused({ source })
  })

  it('refuses host-confusion forms', async () => {
    for (const source of hostConfusion) await assertRefused({ source })
  })

  it('refuses traversal through remote schemes, encodings, NUL, fragments, queries and + variants', async () => {
    for (const source of remoteTraversal) await assertRefused({ source })
  })

  it("refuses http(s), object-store and other schemes pointing outside Wharf's artifact store", async () => {
    for (const source of elsewhere) await assertRefused({ source })
    for (const source of elsewhere) await assertRefused({ source, run_id: runId })
  })

  it("refuses a local path, or a location outside the run's artifacts, even with run_id", async () => {
    for (const source of ['/tmp', 'file:///tmp', `${runUri}/../../..`, `${runUri}/model/..`, `${otherRunUri}/model`, 'mlflow-artifacts:/0/other/artifacts']) {
      await assertRefused({ source, run_id: runId })
    }
    await assertRefused({ source: `${runUri}/model`, run_id: '0123456789abcdef0123456789abcdef' })
    await assertRefused({ source: `${runUri}/model`, run_id: '../x' })
  })

  it('refuses runs:/ and models:/ sources that are malformed, unknown or contradict run_id and model_id', async () => {
    for (const body of [
      { source: `runs:/${runId}/../../x` },
      { source: `runs:/${runId}/%2e%2e/x` },
      { source: `runs://host/${runId}/model` },
      { source: 'runs:/0123456789abcdef0123456789abcdef/model' },
      { source: `runs:/${runId}/model`, run_id: '0123456789abcdef0123456789abcdef' },
      { source: `runs:/${runId}/model`, model_id: modelId },
      { source: 'models:/m-00000000000000000000000000000000' },
      { source: `models:/${modelId}`, model_id: 'm-00000000000000000000000000000000' },
      { source: `models:/${modelId}`, run_id: '0123456789abcdef0123456789abcdef' },
      { source: '//models/x' },
      { source: 'models://host/m-fedcba9876543210fedcba9876543210' },
      { source: 'models:/nope/1' },
      { source: `${otherRunUri}/model`, model_id: modelId },
    ]) {
      await assertRefused(body)
    }
  })

  it('refuses every one of those vectors with the prompt tag too, and a prompt without a placeholder source', async () => {
    for (const source of [...localWithoutRun, ...hostConfusion, ...remoteTraversal, ...elsewhere, `${runUri}/model`]) {
      await assertRefused({ source, tags: [prompt] })
      await assertRefused({ source, run_id: runId, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'TRUE' }] })
    }
  })

  it('refuses a source longer than 500 characters', async () => {
    await assertRefused({ source: `mlflow-artifacts:/${'a/'.repeat(300)}` })
  })

  it("refuses an mlflow-artifacts authority that is not this server's (clients would send it their token)", async () => {
    for (const source of ['mlflow-artifacts://host:9000/models', 'mlflow-artifacts://127.0.0.1:5000/models', 'mlflow-artifacts://localhost/models'])
      await assertRefused({ source })
  })

  it('accepts proxied locations and stores their normalised form as the download location', async () => {
    const cases: [string, string][] = [
      ['mlflow-artifacts:/models', 'mlflow-artifacts:/models'],
      ['mlflow-artifacts:/models/', 'mlflow-artifacts:/models'],
      ['mlflow-artifacts:/models///', 'mlflow-artifacts:/models'],
      ['mlflow-artifacts:/models/foo///bar', 'mlflow-artifacts:/models/foo/bar'],
      ['mlflow-artifacts:/models/artifact/..../', 'mlflow-artifacts:/models/artifact/....'],
      ['mlflow-artifacts:/models/a..b', 'mlflow-artifacts:/models/a..b'],
    ]
    for (const [source, location] of cases) {
      const res = await create('/api/2.0/mlflow', { source })
      assert.equal(res.status, 200, `${source}: ${JSON.stringify(res.body)}`)
      assert.equal(res.body.model_version.source, source)
      const uri = await w.get('model-versions/get-download-uri', { name: 'target', version: res.body.model_version.version })
      assert.equal(uri.body.artifact_uri, location, source)
    }
  })

  it("accepts the run's artifacts, runs:/ URIs and logged models with matching lineage", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ source: runUri, run_id: runId }, runUri],
      [{ source: `${runUri}/model`, run_id: runId }, `${runUri}/model`],
      [{ source: `${runUri}/.`, run_id: runId }, runUri],
      [{ source: `runs:/${runId}/model` }, `${runUri}/model`],
      [{ source: `runs:/${runId}/model`, run_id: runId }, `${runUri}/model`],
      [{ source: `models:/${modelId}`, model_id: modelId }, modelUri],
      [{ source: `models:/${modelId}`, run_id: runId }, modelUri],
      [{ source: modelUri, model_id: modelId }, modelUri],
      [{ source: `${modelUri}/MLmodel`, run_id: runId }, `${modelUri}/MLmodel`],
    ]
    for (const [body, location] of cases) {
      for (const prefix of prefixes) {
        const res = await create(prefix, body)
        assert.equal(res.status, 200, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`)
        const uri = await w.get('model-versions/get-download-uri', { name: 'target', version: res.body.model_version.version })
        assert.equal(uri.body.artifact_uri, location, JSON.stringify(body))
      }
    }
  })

  it("accepts a prompt version with MLflow's placeholder source", async () => {
    await w.post('registered-models/create', { name: 'a-prompt', tags: [prompt] })
    const res = await w.post('model-versions/create', {
      name: 'a-prompt',
      source: 'dummy-source',
      tags: [prompt, { key: 'mlflow.prompt.text', value: 'Hi {{name}}' }],
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
  })
})
