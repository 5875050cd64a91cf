import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createLogger } from '../logger.js'
import { AccessLog } from './access-log.js'
import { ApiKeys } from './api-keys.js'
import { createServingServer } from './http.js'
import { ServingMetrics } from './metrics.js'
import { ModelSlot } from './model-slot.js'
import { HostGuard } from '../http/host-guard.js'
import type { RunningServing } from './serve-model.js'
import { diabetesColumns, diabetesRows, postJson, request, serveDir, trainDiabetes } from './test-fixtures.js'
import { waitFor } from '../testing/fixtures.js'

const silent = createLogger('test', { level: 'silent' })
const split = (n: number) => ({ dataframe_split: { columns: diabetesColumns, data: diabetesRows(n) } })

describe('serving HTTP adapter', () => {
  let serving: RunningServing
  let url: string
  before(async () => {
    serving = await serveDir(await trainDiabetes(), { maxBodyBytes: 4096 })
    url = serving.url
  })
  after(() => serving.close(100))

  it('answers 413 for a body over the limit and keeps serving', async () => {
    const res = await postJson(`${url}/invocations`, split(200))
    assert.equal(res.status, 413)
    assert.equal(res.json().error_code, 'PAYLOAD_TOO_LARGE')
    assert.equal((await postJson(`${url}/invocations`, split(1))).status, 200)
  })

  it('answers 404 for unknown routes and 405 for a known route with the wrong method', async () => {
    const answers = { nope: await request(`${url}/nope`), get: await request(`${url}/invocations`), del: await request(`${url}/ping`, { method: 'DELETE' }) }
    assert.deepEqual(
      Object.values(answers).map((a) => [a.status, a.json().error_code]),
      [
        [404, 'ENDPOINT_NOT_FOUND'],
        [405, 'ENDPOINT_NOT_FOUND'],
        [405, 'ENDPOINT_NOT_FOUND'],
      ],
    )
  })

  it('echoes a sane x-request-id and makes one up otherwise', async () => {
    const given = await postJson(`${url}/invocations`, split(1), { 'x-request-id': 'abc-123' })
    assert.equal(given.headers.get('x-request-id'), 'abc-123')
    const made = await postJson(`${url}/invocations`, split(1), { 'x-request-id': '<script>' })
    assert.match(made.headers.get('x-request-id')!, /^[0-9a-f]{8}-[0-9a-z]+$/)
  })

  it('refuses a foreign Host (DNS rebinding) and a cross-origin browser POST with 403', async () => {
    const rebinding = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: serving.port, path: '/ping', headers: { host: 'attacker.example' } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', reject)
      req.end()
    })
    assert.equal(rebinding, 403)
    const cross = await postJson(`${url}/invocations`, split(1), { origin: 'https://evil.example' })
    assert.equal(cross.status, 403)
    assert.equal(cross.json().error_code, 'PERMISSION_DENIED')
    assert.equal((await postJson(`${url}/invocations`, split(1), { origin: 'http://localhost:3000' })).status, 200)
  })

  it('exposes Prometheus metrics by route, model, version and status, with latency, in-flight and load time', async () => {
    await postJson(`${url}/invocations`, split(1))
    await postJson(`${url}/invocations`, 'bad')
    const text = (await request(`${url}/metrics`)).text
    assert.match(text, /wharf_serving_requests_total\{route="\/invocations",model="model",version="",status="200"\} \d+/)
    assert.match(text, /wharf_serving_requests_total\{route="\/invocations",model="model",version="",status="400"\} \d+/)
    assert.match(text, /wharf_serving_request_duration_seconds_bucket\{route="\/invocations",model="model",version="",le="0.001"\} \d+/)
    assert.match(text, /wharf_serving_requests_in_flight\{model="model"\} 1/) // the scrape itself
    assert.match(text, /wharf_serving_model_load_seconds\{model="model",version=""\} [0-9.e-]+/)
    assert.match(text, /wharf_serving_model_info\{model="model",version="",backend="native"\} 1/)
  })

  it('ends a request whose client goes away mid-body: in-flight back to zero, still serving', async () => {
    const socket = connect(serving.port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    socket.write('POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"dataframe_split"')
    // The half-sent request and the scrape itself.
    await waitFor('the half-sent request in flight', async () =>
      /wharf_serving_requests_in_flight\{model="model"\} 2\n/.test((await request(`${url}/metrics`)).text),
    )
    socket.destroy()
    await waitFor('the abandoned request to end', async () =>
      /wharf_serving_requests_in_flight\{model="model"\} 1\n/.test((await request(`${url}/metrics`)).text),
    )
    assert.equal((await postJson(`${url}/invocations`, split(1))).status, 200)
  })

  it('finishes a request in flight when draining, and refuses new connections after', async () => {
    const other = await serveDir(await trainDiabetes())
    const body = JSON.stringify(split(1))
    const sending = httpRequest({
      host: '127.0.0.1',
      port: other.port,
      path: '/invocations',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    })
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      sending.on('response', (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode!, text }))
      })
      sending.on('error', reject)
    })
    // The rest of the body goes only once draining has begun, so the request is in flight through it.
    sending.write(body.slice(0, 10))
    await waitFor('the request in flight', async () =>
      /wharf_serving_requests_in_flight\{model="model"\} 2\n/.test((await request(`${other.url}/metrics`)).text),
    )
    const closed = other.close(5000)
    sending.end(body.slice(10))
    const done = await answer
    assert.equal(done.status, 200)
    assert.match(done.text, /^\{"predictions":\[/)
    await closed
    await assert.rejects(fetch(`${other.url}/ping`))
  })
})

describe('readiness', () => {
  it('says not ready and answers 503 to predictions until a model is loaded', async () => {
    const slot = new ModelSlot('m')
    const http = createServingServer({
      slot,
      metrics: new ServingMetrics('m'),
      accessLog: new AccessLog(silent, 0),
      logger: silent,
      keys: new ApiKeys([], undefined),
      guard: new HostGuard({ bindHost: '127.0.0.1', allowedHosts: [], allowedOrigins: [], hostCheck: 'loopback' }),
      maxBodyBytes: 1000,
    })
    await new Promise<void>((r) => http.server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`
    assert.equal((await request(`${base}/ping`)).status, 404) // as mlflow models serve before the model loads
    assert.equal((await request(`${base}/v2/health/ready`)).status, 503)
    assert.equal((await request(`${base}/v2/health/live`)).status, 200)
    const res = await postJson(`${base}/invocations`, split(1))
    assert.equal(res.status, 503)
    assert.equal(res.json().error_code, 'TEMPORARILY_UNAVAILABLE')
    await http.drain(100)
  })
})

describe('AccessLog', () => {
  it("writes sampled lines in Wharf's log shape with the request id, and every 5xx", () => {
    const lines: string[] = []
    const logger = createLogger('wharf-serve', { destination: { write: (line: string) => void lines.push(line) } }).child({ model: 'm' })
    const all = new AccessLog(logger, 1)
    const none = new AccessLog(logger, 0)
    const requests = [
      { log: all, entry: { requestId: 'r1', method: 'POST', route: '/invocations', status: 200, durationMs: 0.2, version: '3', bytesIn: 10 } },
      { log: none, entry: { requestId: 'r2', method: 'POST', route: '/invocations', status: 200, durationMs: 0.2, version: '3', bytesIn: 10 } },
      {
        log: none,
        entry: { requestId: 'r3', method: 'POST', route: '/invocations', status: 500, durationMs: 0.2, version: '3', bytesIn: 10, error: 'internal error' },
      },
    ]
    for (const { log, entry } of requests) if (log.isSampled(entry.status)) log.record(entry)
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).request_id),
      ['r1', 'r3'],
    )
    const line = JSON.parse(lines[1]!)
    assert.deepEqual(
      { ...line, time: typeof line.time },
      {
        level: 'error',
        time: 'string',
        service: 'wharf-serve',
        model: 'm',
        request_id: 'r3',
        method: 'POST',
        route: '/invocations',
        status: 500,
        duration_ms: 0.2,
        version: '3',
        bytes_in: 10,
        error: 'internal error',
        msg: 'request',
      },
    )
    assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })
})
