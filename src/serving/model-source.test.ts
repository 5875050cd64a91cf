import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { manifestName, safeEntryName } from './model-cache.js'
import { resolveModel } from './model-source.js'
import { Predictor } from './predictor.js'
import { diabetesColumns, diabetesRows, postJson, registryWithTwoVersions, startServeProcess, type RegistryFixture } from './test-fixtures.js'

describe('resolving models through a real wharf server', () => {
  let registry: RegistryFixture
  const options = () => ({ trackingUri: registry.server.url, token: undefined, cacheDir: registry.cacheDir })
  before(async () => {
    registry = await registryWithTwoVersions()
    await registry.setAlias('champion', '2')
  })
  after(() => registry?.close())

  it('resolves models:/NAME/VERSION, @ALIAS, /latest and runs:/RUN/PATH to verified local copies', async () => {
    const v1 = await resolveModel('models:/diabetes/1', options())
    assert.equal(v1.version, '1')
    assert.equal(v1.alias, undefined)
    assert.equal(v1.name, 'diabetes')
    const alias = await resolveModel('models:/diabetes@champion', options())
    assert.equal(alias.version, '2')
    assert.deepEqual(alias.alias, { name: 'diabetes', alias: 'champion' })
    assert.equal((await resolveModel('models:/diabetes/latest', options())).version, '2')
    const run = await resolveModel(`runs:/${registry.runIds[0]}/model`, options())
    assert.equal(run.version, undefined)
    const manifest = JSON.parse(await readFile(join(v1.dir, manifestName), 'utf8'))
    assert.ok(manifest.files.some((f: { path: string }) => f.path === 'MLmodel'))
    assert.equal(await readFile(join(run.dir, 'wharf_model.json'), 'utf8'), await readFile(join(v1.dir, 'wharf_model.json'), 'utf8'))
    const p = await Predictor.load(alias.dir)
    assert.equal(p.backend, 'native')
  })

  it('resolves models:/NAME/STAGE with get-latest-versions', async () => {
    const res = await fetch(`${registry.server.url}/api/2.0/mlflow/model-versions/transition-stage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'diabetes', version: '1', stage: 'Staging', archive_existing_versions: false }),
    })
    assert.equal(res.status, 200)
    assert.equal((await resolveModel('models:/diabetes/Staging', options())).version, '1')
  })

  it('downloads again when a cached file was changed (sha256 manifest)', async () => {
    const first = await resolveModel('models:/diabetes/1', options())
    const spec = join(first.dir, 'wharf_model.json')
    const good = await readFile(spec, 'utf8')
    await writeFile(spec, good.replace(/"intercept":\[/, '"intercept":[1e6+'))
    const again = await resolveModel('models:/diabetes/1', options())
    assert.equal(again.dir, first.dir)
    assert.equal(await readFile(spec, 'utf8'), good)
  })

  it('names unknown models and versions, and needs a tracking server for models:/', async () => {
    await assert.rejects(resolveModel('models:/nope/1', options()), /RESOURCE_DOES_NOT_EXIST/)
    await assert.rejects(resolveModel('models:/diabetes@missing', options()), /RESOURCE_DOES_NOT_EXIST/)
    await assert.rejects(resolveModel('models:/diabetes/1', { ...options(), trackingUri: undefined }), /MLFLOW_TRACKING_URI/)
    await assert.rejects(resolveModel('s3://bucket/model', options()), /unsupported model URI scheme/)
    await assert.rejects(resolveModel('runs:/abc/../../etc', options()), /Invalid path/)
  })

  it('serves models:/NAME/VERSION end to end with `wharf serve`, with the version header, and exits 0 on SIGTERM', async () => {
    const serve = await startServeProcess(['--model-uri', 'models:/diabetes/1', '--model-cache-dir', registry.cacheDir], {
      MLFLOW_TRACKING_URI: registry.server.url,
    })
    try {
      const rows = diabetesRows(2)
      const res = await postJson(`${serve.url}/invocations`, { dataframe_split: { columns: diabetesColumns, data: rows } })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.headers.get('x-wharf-model-version'), '1')
      const p = await Predictor.load(registry.versionDirs[0]!)
      assert.deepEqual(res.json().predictions, Array.from((p.predict(p.schema!.fromRows(rows)) as { values: Float64Array }).values))
      const meta = (await (await fetch(`${serve.url}/v2/models/diabetes`)).json()) as { versions: string[] }
      assert.deepEqual(meta.versions, ['1'])
    } finally {
      assert.equal(await serve.stop(), 0)
    }
  })

  it('serves with --workers 2 on one port and sums /metrics across workers', async () => {
    const serve = await startServeProcess(['--model-uri', 'models:/diabetes@champion', '--workers', '2', '--model-cache-dir', registry.cacheDir], {
      MLFLOW_TRACKING_URI: registry.server.url,
    })
    try {
      const body = { instances: diabetesRows(1) }
      for (let i = 0; i < 20; i++) assert.equal((await postJson(`${serve.url}/invocations`, body)).status, 200)
      const text = await (await fetch(`${serve.url}/metrics`)).text()
      assert.match(text, /wharf_serving_requests_total\{route="\/invocations",model="diabetes",version="2",status="200"\} 20\n/)
      assert.match(text, /wharf_serving_model_info\{model="diabetes",version="2",backend="native"\} 2/)
    } finally {
      assert.equal(await serve.stop(), 0)
    }
  })
})

describe('artifact listings from the server', () => {
  it('refuses names that could leave the model folder', () => {
    for (const bad of ['..', '.', '', '%2e%2e', 'a\\..', 'x\u0000y', 'C:evil', manifestName, 'a\nb'])
      assert.throws(() => safeEntryName(bad), /refusing artifact name/, JSON.stringify(bad))
    assert.equal(safeEntryName('dir/MLmodel'), 'MLmodel') // basenames only
    assert.equal(safeEntryName('../../etc/passwd'), 'passwd')
  })

  it('refuses to download a model whose listing has a traversal name', async () => {
    const fake = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x')
      res.setHeader('content-type', 'application/json')
      if (url.pathname.endsWith('/registered-models/alias')) return res.end(JSON.stringify({ model_version: { version: '1' } }))
      if (url.pathname.endsWith('/get-download-uri')) return res.end(JSON.stringify({ artifact_uri: 'mlflow-artifacts:/1/abc/artifacts/model' }))
      if (url.pathname.endsWith('/mlflow-artifacts/artifacts')) return res.end(JSON.stringify({ files: [{ path: '..', is_dir: true }] }))
      res.statusCode = 404
      res.end('{}')
    })
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r))
    const uri = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`
    try {
      await assert.rejects(resolveModel('models:/m@a', { trackingUri: uri, token: undefined, cacheDir: join(registryTmp(), 'c') }), /refusing artifact name/)
    } finally {
      fake.close()
    }
  })
})

function registryTmp(): string {
  return join(tmpdir(), `wharf-fake-${process.pid}`)
}
