import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { invoke, startLoad } from './fixtures/deploy-harness.js'
import { TrafficRouter } from './router.js'
import { ShadowLog } from './shadow-log.js'
import { freePort, tempDir, waitFor } from '../testing/fixtures.js'

/** A backend answering every row with `value`, and saying which version it is. */
async function backend(version: string, value: number): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      hits++
      res.writeHead(200, { 'content-type': 'application/json', 'x-wharf-model-version': version }).end(JSON.stringify({ predictions: [value, value] }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits }
}

describe('TrafficRouter', () => {
  let dir: string
  let router: TrafficRouter
  let url: string
  let log: ShadowLog
  let blue: Awaited<ReturnType<typeof backend>>
  let green: Awaited<ReturnType<typeof backend>>

  before(async () => {
    dir = await tempDir('router')
    ;[blue, green] = await Promise.all([backend('1', 1), backend('2', 1.5)])
    log = new ShadowLog(join(dir, 'shadow.jsonl'))
    await log.open()
    router = new TrafficRouter({ host: '127.0.0.1', port: 0, shadowLog: log, retryBudgetMs: 1000 })
    url = `http://127.0.0.1:${await router.listen()}`
  })

  after(async () => {
    await router.close()
    await log.close()
    blue.server.close()
    green.server.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers 503 in the MLflow error shape when no version is deployed', async () => {
    const answer = await invoke(url)
    assert.equal(answer.status, 503)
    assert.equal(JSON.parse(answer.body).error_code, 'TEMPORARILY_UNAVAILABLE')
  })

  it('splits requests between two versions by weight', async () => {
    router.setTraffic({
      targets: [
        { version: '1', port: blue.port, weight: 90 },
        { version: '2', port: green.port, weight: 10 },
      ],
    })
    const counts = new Map<string, number>()
    for (let i = 0; i < 400; i++) {
      const v = (await invoke(url)).version!
      counts.set(v, (counts.get(v) ?? 0) + 1)
    }
    assert.ok((counts.get('2') ?? 0) > 15 && (counts.get('2') ?? 0) < 80, `green got ${counts.get('2')} of 400`)
  })

  it('switches weights under load without a failed request', async () => {
    const load = startLoad(url, 4)
    for (const weight of [0, 100, 50, 0]) {
      const target = load.answered() + 15
      await waitFor('requests at the previous weights', () => load.answered() >= target)
      router.setTraffic({
        targets: [
          { version: '1', port: blue.port, weight: 100 - weight },
          { version: '2', port: green.port, weight },
        ],
      })
    }
    const result = await load.stop()
    assert.deepEqual(result.failures, [])
    assert.ok(result.ok > 50)
  })

  it('retries on the current pick when a backend refuses connections', async () => {
    const closedPort = await freePort()
    router.setTraffic({ targets: [{ version: '9', port: closedPort, weight: 100 }] })
    const pending = invoke(url)
    await new Promise((resolve) => setTimeout(resolve, 150))
    router.setTraffic({ targets: [{ version: '1', port: blue.port, weight: 100 }] })
    assert.equal((await pending).version, '1')
  })

  it('copies requests to the shadow, returns only live answers, and logs the comparison', async () => {
    router.setTraffic({ targets: [{ version: '1', port: blue.port, weight: 100 }], shadow: { version: '2', port: green.port, percent: 100 } })
    const greenBefore = green.hits()
    for (let i = 0; i < 10; i++) assert.deepEqual(JSON.parse((await invoke(url)).body), { predictions: [1, 1] })
    await waitFor('the shadow copies', () => green.hits() - greenBefore === 10 && log.reports().length === 1 && log.reports()[0]!.shadowedRequests === 10)
    assert.deepEqual(log.reports()[0], {
      liveVersion: '1',
      shadowVersion: '2',
      shadowedRequests: 10,
      shadowErrors: 0,
      comparedRows: 20,
      labelAgreement: null,
      meanAbsoluteDifference: 0.5,
    })
    const lines = (await readFile(join(dir, 'shadow.jsonl'), 'utf8')).trim().split('\n')
    assert.equal(lines.length, 10)
    assert.equal(JSON.parse(lines[0]!).shadow, '{"predictions":[1.5,1.5]}')
  })

  it('rebuilds the agreement totals from the shadow log after a restart', async () => {
    await log.close()
    const reopened = new ShadowLog(join(dir, 'shadow.jsonl'))
    await reopened.open()
    assert.equal(reopened.reports()[0]!.shadowedRequests, 10)
    await reopened.close()
  })
})
