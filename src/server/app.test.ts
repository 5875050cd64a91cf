import assert from 'node:assert/strict'
import { readdir, rm } from 'node:fs/promises'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import { RegistryService } from '../registry/index.js'
import { FsArtifactStore } from '../store/fs/artifact-store.js'
import { SqliteRegistryStore } from '../store/sqlite/registry-store.js'
import { SqliteTrackingStore } from '../store/sqlite/tracking-store.js'
import { TrackingService } from '../tracking/tracking-service.js'
import { type AppOptions, buildApp } from './app.js'
import type { AppEnv } from '../http/app-env.js'
import { tempDir } from '../testing/fixtures.js'

const json = { 'content-type': 'application/json', host: '127.0.0.1:5000' }

interface Injected {
  statusCode: number
  body: string
  headers: Record<string, string>
  json(): any
}

/** In-process request through Hono's `app.request`, shaped like the answers the assertions read. */
async function inject(app: Hono<AppEnv>, opts: { method?: string; url: string; headers?: Record<string, string>; payload?: string }): Promise<Injected> {
  const res = await app.request(opts.url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, body: opts.payload })
  const body = await res.text()
  return { statusCode: res.status, body, headers: Object.fromEntries(res.headers), json: () => JSON.parse(body) }
}

async function makeApp(options: Partial<AppOptions> = {}) {
  const dir = await tempDir('app')
  const store = new SqliteTrackingStore(':memory:', { durability: 'normal' })
  const artifacts = new FsArtifactStore(join(dir, 'artifacts'))
  const registry = new RegistryService(new SqliteRegistryStore(':memory:', { durability: 'normal' }), store)
  const app = buildApp(
    { tracking: new TrackingService(store), artifacts, registry },
    { bindHost: '127.0.0.1', allowedHosts: [], corsAllowedOrigins: [], ...options },
  )
  return { app, dir, store }
}

describe('tracking HTTP app', () => {
  let app: Hono<AppEnv>
  let dir: string
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    inject(app, { method: 'POST', url: `/api/2.0/mlflow/${url}`, headers: { ...json, ...headers }, payload: JSON.stringify(payload) })
  const createRun = async () => {
    const res = await post('runs/create', { experiment_id: '0' })
    return (res.json() as { run: { info: { run_id: string } } }).run.info.run_id
  }

  before(async () => {
    ;({ app, dir } = await makeApp())
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('answers health and version without credentials', async () => {
    const health = await inject(app, { url: '/health' })
    assert.equal(health.statusCode, 200)
    assert.equal(health.body, 'OK')
    assert.match((await inject(app, { url: '/version' })).body, /^\d+\.\d+\.\d+/)
  })

  it('serves the same handlers under /api/2.0 and /ajax-api/2.0', async () => {
    for (const prefix of ['/api/2.0', '/ajax-api/2.0']) {
      const res = await inject(app, { url: `${prefix}/mlflow/experiments/get?experiment_id=0`, headers: { host: 'localhost:5000' } })
      assert.equal(res.statusCode, 200)
      assert.equal(res.json().experiment.name, 'Default')
    }
  })

  it('returns RESOURCE_DOES_NOT_EXIST with status 404 for an unknown run', async () => {
    const res = await inject(app, { url: '/api/2.0/mlflow/runs/get?run_id=0123456789abcdef0123456789abcdef', headers: json })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().error_code, 'RESOURCE_DOES_NOT_EXIST')
  })

  it('returns RESOURCE_ALREADY_EXISTS with status 400 for a duplicate experiment', async () => {
    assert.equal((await post('experiments/create', { name: 'dup' })).statusCode, 200)
    const res = await post('experiments/create', { name: 'dup' })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error_code, 'RESOURCE_ALREADY_EXISTS')
  })

  it('refuses malformed JSON, a non-JSON content type and a missing field with INVALID_PARAMETER_VALUE', async () => {
    const bad = await inject(app, { method: 'POST', url: '/api/2.0/mlflow/runs/log-batch', headers: json, payload: '{"run_id": ' })
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error_code, 'INVALID_PARAMETER_VALUE')
    const text = await inject(app, { method: 'POST', url: '/api/2.0/mlflow/runs/log-batch', headers: { ...json, 'content-type': 'text/plain' }, payload: '{}' })
    assert.equal(text.statusCode, 400)
    assert.equal(text.json().error_code, 'INVALID_PARAMETER_VALUE')
    assert.equal(text.json().message, 'Bad Request. Content-Type must be one of [application/json].')
    const missing = await post('runs/log-batch', {})
    assert.equal(missing.statusCode, 400)
    assert.equal(missing.json().error_code, 'INVALID_PARAMETER_VALUE')
    assert.match(missing.json().message, /Missing value for required parameter 'run_id'/)
  })

  it('refuses an over-limit batch as a whole and writes nothing', async () => {
    const runId = await createRun()
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i }))
    const res = await post('runs/log-batch', { run_id: runId, metrics, params: [{ key: 'p', value: '1' }] })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error_code, 'INVALID_PARAMETER_VALUE')
    const run = (await inject(app, { url: `/api/2.0/mlflow/runs/get?run_id=${runId}`, headers: json })).json().run
    assert.equal(run.data.metrics, undefined)
    assert.equal(run.data.params, undefined)
  })

  it('round-trips NaN and infinite metric values as strings', async () => {
    const runId = await createRun()
    const values = ['NaN', 'Infinity', '-Infinity']
    const metrics = values.map((value, i) => ({ key: `k${i}`, value, timestamp: 5 }))
    assert.equal((await post('runs/log-batch', { run_id: runId, metrics })).statusCode, 200)
    const run = (await inject(app, { url: `/api/2.0/mlflow/runs/get?run_id=${runId}`, headers: json })).json().run
    assert.deepEqual(
      run.data.metrics.map((m: { value: unknown }) => m.value),
      values,
    )
  })

  it('answers unknown routes with ENDPOINT_NOT_FOUND', async () => {
    const res = await inject(app, { url: '/api/2.0/mlflow/nope', headers: json })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().error_code, 'ENDPOINT_NOT_FOUND')
  })

  it('uploads, lists, downloads and deletes artifacts through the proxy', async () => {
    const url = '/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/dir/page.html'
    const put = await inject(app, { method: 'PUT', url, headers: { host: 'localhost', 'content-type': 'text/html' }, payload: '<script>x</script>' })
    assert.equal(put.statusCode, 200)
    const list = await inject(app, { url: '/api/2.0/mlflow-artifacts/artifacts?path=0/run/artifacts/dir', headers: json })
    assert.deepEqual(list.json(), { files: [{ path: 'page.html', is_dir: false, file_size: 18 }] })
    const got = await inject(app, { url, headers: json })
    assert.equal(got.body, '<script>x</script>')
    assert.match(String(got.headers['content-disposition']), /^attachment/)
    assert.equal(got.headers['x-content-type-options'], 'nosniff')
    assert.doesNotMatch(String(got.headers['content-type']), /html/)
    assert.equal((await inject(app, { method: 'DELETE', url, headers: json })).statusCode, 200)
    const gone = await inject(app, { url, headers: json })
    assert.equal(gone.statusCode, 404)
    assert.equal(gone.json().error_code, 'RESOURCE_DOES_NOT_EXIST')
  })

  it('refuses traversal in artifact paths sent raw over a socket and writes nothing outside the root', async () => {
    // A real listener and node:http, because in-process injection would normalise '..' before routing.
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const send = (method: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        })
        req.on('error', reject)
        req.end(method === 'PUT' ? 'x' : undefined)
      })
    const before = await readdir(dir, { recursive: true })
    try {
      const vectors = [
        '../../etc/passwd',
        './../x',
        'model/../../../etc/shadow',
        'a/b/../../../c',
        '..',
        '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
        '%2E%2E/x',
        '..%2f..%2fx',
        '.%2e/x',
        '%252e%252e%252fx',
        '%25252e%25252e%25252f',
        'a/..%5c..%5cb',
        '%5c..%5c..%5cx',
        '/etc/passwd',
        '/file://etc/passwd',
        'C:/Windows/win.ini',
        'a%00b',
        'a%23/../../b',
        '%c0%ae%c0%ae%c0%af',
        '%zz',
        '%',
        '%EF%BC%8E%EF%BC%8E%EF%BC%8F',
        '%E2%80%A5/x',
        'a%E2%88%95b',
      ]
      for (const v of vectors) {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const res = await send(method, `/api/2.0/mlflow-artifacts/artifacts/${v}`)
          assert.equal(res.status, 400, `${method} ${v}`)
          assert.deepEqual(JSON.parse(res.body), { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' }, `${method} ${v}`)
        }
        const list = await send('GET', `/api/2.0/mlflow-artifacts/artifacts?path=${v}`)
        assert.equal(list.status, 400, `list ${v}`)
        assert.equal(JSON.parse(list.body).error_code, 'INVALID_PARAMETER_VALUE', `list ${v}`)
      }
    } finally {
      server.close()
      ;(server as import('node:http').Server).closeAllConnections()
    }
    assert.deepEqual((await readdir(dir, { recursive: true })).sort(), before.sort())
  })

  it('answers a multipart upload request with the NOT_IMPLEMENTED message clients fall back on', async () => {
    const res = await inject(app, { method: 'POST', url: '/api/2.0/mlflow-artifacts/mpu/create/0/x', headers: json, payload: '{}' })
    assert.equal(res.statusCode, 501)
    assert.match(res.json().message, /^Multipart upload is not supported for the current artifact repository/)
  })
})

describe('tracking HTTP guards', () => {
  it('refuses a foreign Host header but not on health routes', async () => {
    const { app } = await makeApp()
    for (const host of ['attacker.example', 'localhost.attacker.example', '10.attacker.example', '169.254.169.254']) {
      const res = await inject(app, { url: '/api/2.0/mlflow/experiments/get?experiment_id=0', headers: { host } })
      assert.equal(res.statusCode, 403, host)
      assert.equal(res.json().error_code, 'PERMISSION_DENIED', host)
    }
    assert.equal((await inject(app, { url: '/health', headers: { host: 'attacker.example' } })).statusCode, 200)
    for (const host of ['localhost:5000', '127.0.0.1:5000', '[::1]:5000']) {
      assert.equal((await inject(app, { url: '/api/2.0/mlflow/experiments/get?experiment_id=0', headers: { host } })).statusCode, 200, host)
    }
  })

  it('refuses state-changing requests from a foreign browser origin', async () => {
    const { app } = await makeApp()
    const create = (origin: string, name: string) =>
      inject(app, { method: 'POST', url: '/api/2.0/mlflow/experiments/create', headers: { ...json, origin }, payload: JSON.stringify({ name }) })
    for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example', 'http://127.0.0.1.nip.io']) {
      const res = await create(origin, `x-${origin}`)
      assert.equal(res.statusCode, 403, origin)
      assert.deepEqual(res.json(), { error_code: 'PERMISSION_DENIED', message: 'Cross-origin request blocked' })
    }
    assert.equal((await create('http://localhost:3000', 'from-localhost')).statusCode, 200)
  })

  it('requires the bearer token when one is configured, leaving health open', async () => {
    const { app } = await makeApp({ authToken: 's3cret-token' })
    const url = '/api/2.0/mlflow/experiments/get?experiment_id=0'
    const none = await inject(app, { url, headers: json })
    assert.equal(none.statusCode, 401)
    assert.equal(none.json().error_code, 'UNAUTHENTICATED')
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="wharf", Basic realm="wharf"')
    assert.equal(none.headers['x-content-type-options'], 'nosniff')
    assert.doesNotMatch(none.body, /s3cret/)
    const wrong = await inject(app, { url, headers: { ...json, authorization: 'Bearer wrong' } })
    assert.equal(wrong.statusCode, 401)
    assert.equal(wrong.json().error_code, 'UNAUTHENTICATED')
    assert.equal((await inject(app, { url, headers: { ...json, authorization: 'Bearer s3cret-token' } })).statusCode, 200)
    const basic = Buffer.from('user:s3cret-token').toString('base64')
    assert.equal((await inject(app, { url, headers: { ...json, authorization: `Basic ${basic}` } })).statusCode, 200)
    for (const variant of [
      '/api/2.0/mlflow-artifacts/artifacts?path=',
      '//api/2.0/mlflow/experiments/get?experiment_id=0',
      '/ajax-api/2.0/mlflow/experiments/get?experiment_id=0',
    ]) {
      const res = await inject(app, { url: variant, headers: json })
      assert.equal(res.statusCode, 401, variant)
      assert.equal(res.json().error_code, 'UNAUTHENTICATED', variant)
    }
    assert.equal((await inject(app, { url: '/health' })).statusCode, 200)
  })

  it('lets only the HMAC-signed pipeline trigger path past the bearer check', async () => {
    // This app has no pipelines, so a request that gets past the guard reaches routing and 404s.
    const { app } = await makeApp({ authToken: 's3cret-token' })
    const trigger = await inject(app, { method: 'POST', url: '/api/2.0/wharf/pipelines/trigger?pipeline=p', headers: json, payload: '{}' })
    assert.equal(trigger.json().error_code, 'ENDPOINT_NOT_FOUND')
    const sibling = await inject(app, { method: 'POST', url: '/api/2.0/wharf/pipelines/trigger/x', headers: json, payload: '{}' })
    assert.equal(sibling.json().error_code, 'UNAUTHENTICATED')
  })
})
