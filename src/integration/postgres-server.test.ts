import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { waitFor } from '../testing/fixtures.js'
import { skipWithoutPostgres, testPostgres } from '../testing/postgres.js'
import { type RunningServer, startServer } from './server-process.js'

const postgres = await testPostgres()

if (!postgres) {
  skipWithoutPostgres('wharf server on PostgreSQL')
} else {
  /** Two `wharf server` replicas on one PostgreSQL database, used through HTTP as clients do. */
  describe('wharf server on PostgreSQL', () => {
    let dir: string
    let url: string
    let password: string
    let a: RunningServer
    let b: RunningServer
    let capture: Server
    const captured: { delivery: string; event: string }[] = []

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'wharf-pg-server-'))
      url = await postgres.newDatabase()
      password = decodeURIComponent(new URL(url).password)
      await writeFile(join(dir, 'alpha.yaml'), 'pipeline: alpha\nstages:\n  - { name: build, steps: [{ name: b, command: "true" }] }\n')
      const args = ['--backend-store-uri', url, '--artifacts-destination', join(dir, 'artifacts'), '--pipelines', join(dir, 'alpha.yaml')]
      // Started together: both race to migrate the empty database.
      ;[a, b] = await Promise.all([startServer(args), startServer(args)])
      capture = createServer((req, res) => {
        req.resume()
        req.on('end', () => {
          captured.push({ delivery: String(req.headers['x-wharf-delivery']), event: String(req.headers['x-wharf-event']) })
          res.writeHead(204).end()
        })
      })
      await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve))
    })

    after(async () => {
      await Promise.all([a?.stop(), b?.stop()])
      capture?.close()
      await rm(dir, { recursive: true, force: true })
    })

    const call = async (server: RunningServer, path: string, body?: unknown) => {
      const res = await fetch(
        `${server.url}/api/2.0/${path}`,
        body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      )
      return { status: res.status, body: (await res.json()) as any }
    }

    it('serves what one replica wrote from the other: experiments, runs, metrics, search with order and pages', async () => {
      const exp = await call(a, 'mlflow/experiments/create', { name: 'pg-e2e' })
      assert.equal(exp.status, 200, JSON.stringify(exp.body))
      const experimentId = exp.body.experiment_id
      const runIds: string[] = []
      for (let i = 0; i < 5; i++) {
        const run = await call(i % 2 ? a : b, 'mlflow/runs/create', { experiment_id: experimentId, run_name: `r${i}`, start_time: 1000 + i })
        assert.equal(run.status, 200, JSON.stringify(run.body))
        const runId = run.body.run.info.run_id
        runIds.push(runId)
        const metrics = i === 4 ? [{ key: 'loss', value: 'NaN', timestamp: 1, step: 0 }] : [{ key: 'loss', value: 1 - i / 10, timestamp: 1, step: 0 }]
        const logged = await call(i % 2 ? b : a, 'mlflow/runs/log-batch', { run_id: runId, metrics, params: [{ key: 'lr', value: `0.${i}` }] })
        assert.equal(logged.status, 200, JSON.stringify(logged.body))
      }
      const got = await call(b, `mlflow/runs/get?run_id=${runIds[0]}`)
      assert.deepEqual(
        got.body.run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value]),
        [['loss', 1]],
      )
      // Ascending by loss: NaN after every number; pages of two cover every run once.
      const seen: string[] = []
      let pageToken: string | undefined
      do {
        const page = await call(a, 'mlflow/runs/search', {
          experiment_ids: [experimentId],
          filter: "params.lr LIKE '0.%'",
          order_by: ['metrics.loss ASC'],
          max_results: 2,
          ...(pageToken ? { page_token: pageToken } : {}),
        })
        assert.equal(page.status, 200, JSON.stringify(page.body))
        seen.push(...page.body.runs.map((r: { info: { run_name: string } }) => r.info.run_name))
        pageToken = page.body.next_page_token
      } while (pageToken)
      assert.deepEqual(seen, ['r3', 'r2', 'r1', 'r0', 'r4'])
      const none = await call(b, 'mlflow/runs/search', { experiment_ids: [experimentId], filter: "params.lr LIKE '0.%' AND attributes.run_name ILIKE 'R1'" })
      assert.deepEqual(
        none.body.runs.map((r: { info: { run_name: string } }) => r.info.run_name),
        ['r1'],
      )
    })

    it('answers RESOURCE_ALREADY_EXISTS for a name taken through the other replica', async () => {
      assert.equal((await call(a, 'mlflow/registered-models/create', { name: 'taken' })).status, 200)
      const again = await call(b, 'mlflow/registered-models/create', { name: 'taken' })
      assert.equal(again.status, 400)
      assert.equal(again.body.error_code, 'RESOURCE_ALREADY_EXISTS')
      const exp = await call(b, 'mlflow/experiments/create', { name: 'pg-e2e' })
      assert.equal(exp.body.error_code, 'RESOURCE_ALREADY_EXISTS')
    })

    it('delivers each webhook event once although both replicas dispatch', async () => {
      const hook = await call(a, 'wharf/registry/webhooks', {
        url: `http://127.0.0.1:${(capture.address() as AddressInfo).port}/hook`,
        events: ['model_version.created'],
        model_name: 'hooked',
        secret: 'pg-webhook-secret',
      })
      assert.equal(hook.status, 200, JSON.stringify(hook.body))
      await call(a, 'mlflow/registered-models/create', { name: 'hooked' })
      for (let i = 0; i < 8; i++) {
        const created = await call(i % 2 ? a : b, 'mlflow/model-versions/create', { name: 'hooked', source: 'mlflow-artifacts:/models/x' })
        assert.equal(created.status, 200, JSON.stringify(created.body))
      }
      const webhookId = hook.body.webhook.webhook_id
      const deliveries = await waitFor(
        'all eight deliveries to succeed',
        async () => {
          const { deliveries = [] } = (await call(b, `wharf/registry/webhooks/deliveries?webhook_id=${webhookId}&max_results=100`)).body
          return deliveries.length === 8 && deliveries.every((d: { status: string }) => d.status === 'succeeded') ? deliveries : undefined
        },
        20_000,
      )
      assert.equal(deliveries.length, 8)
      assert.equal(captured.length, 8)
      assert.equal(new Set(captured.map((c) => c.delivery)).size, 8)
    })

    it('serves the deployment and pipeline APIs, with one pipeline lock across replicas', async () => {
      for (const server of [a, b]) {
        const listed = await call(server, 'wharf/deployments/list')
        assert.equal(listed.status, 200, JSON.stringify(listed.body))
        assert.deepEqual(listed.body.endpoints, [])
      }
      const plan = [{ stage: 'build', steps: [{ step: 'b', kind: 'command' }] }]
      const owner = { owner_pid: process.pid, owner_host: hostname() }
      const created = await call(a, 'wharf/pipelines/runs/create', { pipeline: 'alpha', plan, ...owner })
      assert.equal(created.status, 200, JSON.stringify(created.body))
      const second = await call(b, 'wharf/pipelines/runs/create', { pipeline: 'alpha', plan, owner_pid: process.ppid, owner_host: hostname() })
      assert.equal(second.status, 409, JSON.stringify(second.body))
      assert.equal(second.body.error_code, 'RESOURCE_CONFLICT')
      const runId = created.body.run.run_id
      const got = await call(b, `wharf/pipelines/runs/get?run_id=${runId}`)
      assert.equal(got.body.run.status, 'running')
      assert.deepEqual(
        got.body.run.steps.map((s: { step: string; status: string }) => [s.step, s.status]),
        [['b', 'pending']],
      )
    })

    it('ran each migration once, and never wrote the password to its output', async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      const { rows } = await client.query('SELECT version, count(*)::int AS n FROM wharf_schema_migrations GROUP BY version ORDER BY version')
      await client.end()
      assert.ok(rows.length > 0)
      assert.ok(rows.every((r: { n: number }) => r.n === 1))
      for (const server of [a, b]) {
        assert.ok(!server.stdout().includes(password))
        assert.ok(!server.stderr().includes(password))
      }
    })

    it('refuses to start on a wrong password without printing it', async () => {
      const wrong = new URL(url)
      wrong.password = 'wrong-Secret-0987'
      await assert.rejects(startServer(['--backend-store-uri', wrong.toString(), '--artifacts-destination', join(dir, 'artifacts')]), (err: Error) => {
        assert.match(err.message, /cannot open the database/)
        assert.match(err.message, /password authentication failed/)
        assert.doesNotMatch(err.message, /wrong-Secret-0987/)
        return true
      })
    })
  })
}
