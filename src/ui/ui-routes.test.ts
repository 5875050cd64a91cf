import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { before, describe, it } from 'node:test'
import type { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { buildApp } from '../server/app.js'
import { RegistryService } from '../registry/index.js'
import { FsArtifactStore } from '../store/fs/artifact-store.js'
import { SqliteRegistryStore } from '../store/sqlite/registry-store.js'
import { SqliteTrackingStore } from '../store/sqlite/tracking-store.js'
import { tempDir } from '../testing/fixtures.js'
import { TrackingService } from '../tracking/tracking-service.js'

const token = 'ui-test-token'
const host = { host: '127.0.0.1:5000' }
const indexHtml = '<!doctype html><html><head><script type="module" src="/assets/app-ABCDEFGH.js"></script></head><body></body></html>'
const appJs = `console.log(${JSON.stringify('x'.repeat(2000))})`

describe('the web UI as wharf server serves it', () => {
  let dir: string
  let app: Hono<AppEnv>
  const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers: { ...host, ...headers } })

  before(async () => {
    dir = await tempDir('ui')
    const uiDir = join(dir, 'ui-app')
    await mkdir(join(uiDir, 'assets'), { recursive: true })
    await writeFile(join(uiDir, 'index.html'), indexHtml)
    await writeFile(join(uiDir, 'assets', 'app-ABCDEFGH.js'), appJs)
    await writeFile(join(uiDir, 'assets', 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    const store = new SqliteTrackingStore(':memory:', { durability: 'normal' })
    const registry = new RegistryService(new SqliteRegistryStore(':memory:', { durability: 'normal' }), store)
    app = buildApp(
      { tracking: new TrackingService(store), artifacts: new FsArtifactStore(join(dir, 'artifacts')), registry },
      { bindHost: '127.0.0.1', allowedHosts: [], corsAllowedOrigins: [], authToken: token, uiDir },
    )
  })

  it('serves the app at / without a token, as HTML that must be revalidated, under a strict CSP', async () => {
    const res = await get('/')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal(res.headers.get('cache-control'), 'no-cache')
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN')
    assert.equal(await res.text(), indexHtml)
  })

  it('answers deep links with the app (the browser routes them) and missing assets with 404', async () => {
    for (const path of ['/experiments/1', '/runs/0123456789abcdef', '/models/diabetes/versions/2', '/pipelines/runs/abc']) {
      const res = await get(path)
      assert.equal(res.status, 200, path)
      assert.equal(await res.text(), indexHtml, path)
    }
    const missing = await get('/assets/app-MISSING0.js')
    assert.equal(missing.status, 404)
    assert.doesNotMatch(await missing.text(), /<html/)
  })

  it('serves hashed assets with their type, for a year, gzipped when asked, and 304 when unchanged', async () => {
    const res = await get('/assets/app-ABCDEFGH.js', { 'accept-encoding': 'gzip, br' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8')
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    assert.equal(res.headers.get('content-encoding'), 'gzip')
    assert.equal(gunzipSync(Buffer.from(await res.arrayBuffer())).toString(), appJs)
    const plain = await get('/assets/app-ABCDEFGH.js')
    assert.equal(plain.headers.get('content-encoding'), null)
    assert.equal(await plain.text(), appJs)
    const again = await get('/assets/app-ABCDEFGH.js', { 'if-none-match': res.headers.get('etag')! })
    assert.equal(again.status, 304)
    const icon = await get('/assets/favicon.svg')
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml')
    assert.equal(icon.headers.get('cache-control'), 'no-cache', 'a name without a hash may change')
  })

  it('keeps the token check on the API, and answers a request from the page without a Basic challenge', async () => {
    const fromClient = await get('/ajax-api/2.0/mlflow/experiments/search')
    assert.equal(fromClient.status, 401)
    assert.match(fromClient.headers.get('www-authenticate') ?? '', /Basic/)
    const fromPage = await get('/ajax-api/2.0/mlflow/experiments/search', { 'x-requested-with': 'wharf-ui' })
    assert.equal(fromPage.status, 401)
    assert.equal(fromPage.headers.get('www-authenticate'), 'Bearer realm="wharf"')
    assert.equal(((await fromPage.json()) as { error_code: string }).error_code, 'UNAUTHENTICATED')
    const authorized = await get('/ajax-api/2.0/mlflow/experiments/search', { authorization: `Bearer ${token}` })
    assert.equal(authorized.status, 200)
  })

  it('never lets an API path past the token check in another spelling', async () => {
    const spellings = [
      '//api/2.0/mlflow/experiments/get?experiment_id=0',
      '/%61pi/2.0/mlflow/experiments/get?experiment_id=0',
      '/%2561pi/2.0/mlflow/experiments/get?experiment_id=0',
      '/ajax-api%2F2.0/mlflow/experiments/get?experiment_id=0',
      '/API/2.0/mlflow/experiments/get?experiment_id=0',
      '/%E0%A4%A/x',
    ]
    for (const path of spellings) {
      const res = await get(path)
      assert.ok(res.status === 401 || res.status === 400, `${path}: ${res.status}`)
      assert.doesNotMatch(await res.text(), /Default/, path)
    }
  })

  it('answers unknown API paths with the API 404, not the app', async () => {
    const res = await get('/api/2.0/mlflow/no-such-endpoint', { authorization: `Bearer ${token}` })
    assert.equal(res.status, 404)
    assert.match(res.headers.get('content-type') ?? '', /json/)
  })

  it('refuses page loads under a foreign Host name (DNS rebinding) and any write to a page path', async () => {
    const rebound = await app.request('/', { headers: { host: 'attacker.example:5000' } })
    assert.equal(rebound.status, 403)
    const post = await app.request('/experiments', { method: 'POST', headers: host })
    assert.equal(post.status, 401, 'only GET and HEAD are public')
  })

  it('lets the page write to the API from its own origin, and still refuses other origins', async () => {
    const headers = { ...host, authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const body = JSON.stringify({ name: 'from-the-page' })
    const same = await app.request('/ajax-api/2.0/mlflow/experiments/create', {
      method: 'POST',
      headers: { ...headers, origin: 'http://127.0.0.1:5000' },
      body,
    })
    assert.equal(same.status, 200)
    const foreign = await app.request('/ajax-api/2.0/mlflow/experiments/create', {
      method: 'POST',
      headers: { ...headers, origin: 'http://evil.example' },
      body: JSON.stringify({ name: 'from-elsewhere' }),
    })
    assert.equal(foreign.status, 403)
  })
})

describe('the web UI without a build', () => {
  it('says how to build it instead of failing', async () => {
    const dir = await tempDir('ui-none')
    {
      const store = new SqliteTrackingStore(':memory:', { durability: 'normal' })
      const registry = new RegistryService(new SqliteRegistryStore(':memory:', { durability: 'normal' }), store)
      const app = buildApp(
        { tracking: new TrackingService(store), artifacts: new FsArtifactStore(join(dir, 'a')), registry },
        { bindHost: '127.0.0.1', allowedHosts: [], corsAllowedOrigins: [], uiDir: join(dir, 'missing') },
      )
      const res = await app.request('/', { headers: host })
      assert.equal(res.status, 404)
      assert.match(await res.text(), /npm run build/)
    }
  })
})
