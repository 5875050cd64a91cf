import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { deployApi } from '../deploy/fixtures/registry-fixture.js'
import { type RunningServer, startServer } from '../integration/server-process.js'
import { isValidSignature } from '../registry/index.js'
import { isAlive, tempDir, waitFor } from '../testing/fixtures.js'
import { runTrain } from '../train/index.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const dataFile = join(root, 'data/diabetes.csv')
const alertSecret = `alert-secret-${Math.random().toString(36).slice(2)}`

interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly target: string
  readonly answered: number
}

/** An alert receiver on 127.0.0.1:0 that answers 503 while it is "down", 204 once it is up. */
async function startReceiver() {
  const received: Received[] = []
  let isUp = false
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const answered = isUp ? 204 : 503
      received.push({ headers: req.headers, body, target: req.url ?? '', answered })
      res.writeHead(answered).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/drift`,
    received,
    up: () => (isUp = true),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** 100 training rows with bmi moved two standard deviations up, as `dataframe_split` requests of ten rows. */
async function shiftedRequests(): Promise<string[]> {
  const [header, ...lines] = (await readFile(dataFile, 'utf8')).trim().split('\n')
  const all = header!.split(',')
  const columns = all.filter((c) => c !== 'progression')
  const rows = lines.map((l) => l.split(',').map(Number)).map((r) => columns.map((c) => r[all.indexOf(c)]!))
  const bmi = columns.indexOf('bmi')
  const values = rows.map((r) => r[bmi]!)
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
  const shifted = rows.slice(0, 100).map((r) => r.map((v, n) => (n === bmi ? v + 2 * std : v)))
  const out: string[] = []
  for (let i = 0; i < shifted.length; i += 10) out.push(JSON.stringify({ dataframe_split: { columns, data: shifted.slice(i, i + 10) } }))
  return out
}

/**
 * Issue #18, durable alerts: a drift breach is found while the alert receiver is down; the server
 * is killed (SIGKILL) before any delivery succeeds; once restarted it sends the queued alert, the
 * same delivery signed as before, and it is received once.
 */
describe('drift alerts across a server restart', () => {
  let dir: string
  let args: string[]
  let env: NodeJS.ProcessEnv
  let server: RunningServer | undefined
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  const pids = new Set<number>()

  const alertsAt = async (url: string) => {
    const res = await fetch(`${url}/api/2.0/wharf/monitoring/alerts?environment=production&model_name=diabetes`)
    assert.equal(res.status, 200)
    return ((await res.json()) as { alerts: any[] }).alerts
  }

  before(async () => {
    dir = await tempDir('alert-restart')
    receiver = await startReceiver()
    await writeFile(
      join(dir, 'wharf.yaml'),
      [
        'environments:',
        '  production:',
        '    target: local',
        '    authMode: none',
        '    monitoring:',
        '      drift: { windowRows: 100, minRows: 50 }',
        `      alerts: { webhooks: [{ url: "${receiver.url}", secretEnv: WHARF_TEST_ALERT_SECRET }] }`,
        '',
      ].join('\n'),
    )
    args = ['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')]
    // Retries 1 s apart and many of them: the alert is still pending when the server is killed.
    env = {
      WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
      WHARF_TEST_ALERT_SECRET: alertSecret,
      WHARF_WEBHOOK_RETRY_BASE_MS: '1000',
      WHARF_WEBHOOK_MAX_ATTEMPTS: '30',
    }
    server = await startServer(args, env)
    await runTrain({
      data: dataFile,
      target: 'progression',
      model: 'elasticnet',
      param: ['alpha=0.01'],
      register: 'diabetes',
      trackingUri: server.url,
      log: () => {},
    })
  })

  after(async () => {
    if (server) {
      const e = (await deployApi(server.url, 'GET', 'list', { environment: 'production' }).catch(() => undefined))?.body.endpoints?.[0]
      for (const i of e?.instances ?? []) if (i.pid) pids.add(i.pid)
      await deployApi(server.url, 'POST', 'undeploy', { model_name: 'diabetes', environment: 'production' }).catch(() => {})
      await server.stop()
    }
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await receiver.close()
  })

  it('sends an alert queued before a SIGKILL once the server is back, once, signed as before', async () => {
    const first = server!
    const deployed = await deployApi(first.url, 'POST', 'deploy', { model_name: 'diabetes', version: '1', environment: 'production' })
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body))
    for (const i of deployed.body.endpoint.instances ?? []) if (i.pid) pids.add(i.pid)
    for (const body of await shiftedRequests()) {
      const res = await fetch(`${deployed.body.endpoint.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      assert.equal(res.status, 200)
    }

    // The breach is queued and its first attempt refused (the receiver is down): kill the server now.
    const [queued] = await waitFor(
      'a failed alert attempt',
      async () => {
        const alerts = await alertsAt(first.url)
        return alerts[0]?.attempts.length >= 1 && alerts
      },
      30_000,
    )
    await first.stop('SIGKILL')
    server = undefined
    assert.equal(queued.status, 'pending')
    assert.ok(
      queued.body.breaches.some((b: any) => b.kind === 'feature_psi' && b.feature === 'bmi'),
      JSON.stringify(queued.body),
    )
    assert.ok(receiver.received.every((r) => r.answered === 503))

    receiver.up()
    server = await startServer(args, env)
    const restarted = server
    const delivered = await waitFor(
      'the alert delivered after the restart',
      async () => {
        const [a] = await alertsAt(restarted.url)
        return a?.status === 'succeeded' && a
      },
      30_000,
    )
    const alerts = await alertsAt(restarted.url)
    assert.deepEqual(
      alerts.map((a) => a.delivery_id),
      [queued.delivery_id],
      'one alert, the one queued before the kill',
    )
    const statuses = delivered.attempts.map((a: any) => a.status_code)
    assert.equal(statuses.at(-1), 204)
    assert.ok(
      statuses.slice(0, -1).every((s: number) => s === 503),
      JSON.stringify(statuses),
    )
    const accepted = receiver.received.filter((r) => r.answered === 204)
    assert.equal(accepted.length, 1, 'received once')
    for (const r of receiver.received) {
      assert.equal(r.headers['x-wharf-delivery'], queued.delivery_id)
      assert.equal(r.headers['x-wharf-event'], 'monitor.alert')
      assert.equal(r.body, JSON.stringify(queued.body), 'the same body on every attempt')
      assert.ok(
        isValidSignature(
          alertSecret,
          { timestamp: String(r.headers['x-wharf-timestamp']), method: 'POST', target: r.target, body: r.body },
          String(r.headers['x-wharf-signature']),
        ),
      )
    }
    assert.equal(JSON.parse(accepted[0]!.body).model_name, 'diabetes')
  })
})
