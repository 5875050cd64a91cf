import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { waitFor } from '../testing/fixtures.js'
import { skipWithoutPostgres, testPostgres } from '../testing/postgres.js'
import { type RunningServer, startServer } from './server-process.js'

const postgres = await testPostgres()

/**
 * A webhook receiver that can hold its answers. A delivery counts as acknowledged only when a 2xx
 * went back on a connection that was still open: that is what the sender can have seen.
 */
class Receiver {
  readonly acknowledged: string[] = []
  readonly #held: { req: IncomingMessage; res: ServerResponse; delivery: string }[] = []
  #paused = false
  readonly server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const entry = { req, res, delivery: String(req.headers['x-wharf-delivery']) }
      if (this.#paused) this.#held.push(entry)
      else this.#answer(entry)
    })
  })

  #answer(entry: { res: ServerResponse; delivery: string }): void {
    if (entry.res.socket === null || entry.res.socket.destroyed || entry.res.socket.readableEnded) {
      entry.res.destroy()
      return
    }
    this.acknowledged.push(entry.delivery)
    entry.res.writeHead(204).end()
  }

  pause(): void {
    this.#paused = true
  }

  resume(): void {
    this.#paused = false
    for (const entry of this.#held.splice(0)) this.#answer(entry)
  }

  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`
  }
}

if (!postgres) {
  skipWithoutPostgres('replicas on PostgreSQL')
} else {
  describe('two replicas on one PostgreSQL, one SIGKILLed mid-load', () => {
    let dir: string
    let url: string
    let a: RunningServer
    let b: RunningServer
    const receiver = new Receiver()

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'wharf-replicas-'))
      url = await postgres.newDatabase()
      const args = ['--backend-store-uri', url, '--artifacts-destination', join(dir, 'artifacts')]
      // Short send timeouts keep the lease (timeout + 5 s) of a dead replica's claim short.
      const env = { WHARF_WEBHOOK_TIMEOUT_MS: '2000', WHARF_WEBHOOK_RETRY_BASE_MS: '200', WHARF_WEBHOOK_MAX_ATTEMPTS: '50' }
      ;[a, b] = await Promise.all([startServer(args, env), startServer(args, env)])
      await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve))
    })

    after(async () => {
      await Promise.all([a?.stop(), b?.stop()])
      receiver.server.close()
      await rm(dir, { recursive: true, force: true })
    })

    /** One API call; undefined when the replica could not answer (connection refused or reset). */
    const call = async (server: RunningServer, path: string, body?: unknown) => {
      try {
        const res = await fetch(
          `${server.url}/api/2.0/${path}`,
          body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
        )
        return { status: res.status, body: (await res.json()) as any }
      } catch {
        return undefined
      }
    }

    it('loses nothing acknowledged, delivers each webhook once, and migrated once', async () => {
      const experimentId = (await call(a, 'mlflow/experiments/create', { name: 'replicas' }))!.body.experiment_id
      assert.equal((await call(a, 'mlflow/registered-models/create', { name: 'load' }))?.status, 200)
      const hook = await call(b, 'wharf/registry/webhooks', {
        url: receiver.url(),
        events: ['model_version.created'],
        model_name: 'load',
        secret: 'replica-webhook-secret',
      })
      assert.equal(hook?.status, 200, JSON.stringify(hook?.body))
      const webhookId = hook!.body.webhook.webhook_id as string

      const clients = 4
      const opsPerClient = 24
      const ackedMetrics: { runId: string; step: number }[] = []
      const ackedVersions: string[] = []
      let bDead = false
      // Each client alternates replicas, as a load balancer would, and retries on the survivor
      // what the dead replica did not answer.
      const client = async (c: number) => {
        const run = await call(a, 'mlflow/runs/create', { experiment_id: experimentId, run_name: `c${c}` })
        const runId = run!.body.run.info.run_id as string
        for (let i = 0; i < opsPerClient; i++) {
          const preferred = (i + c) % 2 === 0 || bDead ? a : b
          const batch = { run_id: runId, metrics: [{ key: 'op', value: i, timestamp: 1, step: i }] }
          const logged = (await call(preferred, 'mlflow/runs/log-batch', batch)) ?? (await call(a, 'mlflow/runs/log-batch', batch))
          if (logged?.status === 200) ackedMetrics.push({ runId, step: i })
          const source = { name: 'load', source: 'mlflow-artifacts:/models/x' }
          const created = (await call(preferred, 'mlflow/model-versions/create', source)) ?? (await call(a, 'mlflow/model-versions/create', source))
          if (created?.status === 200) ackedVersions.push(String(created.body.model_version.version))
        }
      }
      const load = Promise.all([0, 1, 2, 3].slice(0, clients).map(client))

      // Mid-load: hold the receiver's answers, let both replicas record what was answered so far,
      // then kill B. Whatever B had claimed or was sending is now unanswered and its lease runs out.
      await waitFor('a quarter of the load to be acknowledged', () => ackedVersions.length >= (clients * opsPerClient) / 4, 60_000)
      receiver.pause()
      const answered = [...receiver.acknowledged]
      await waitFor(
        'the replicas to record every answered delivery',
        async () => {
          const { deliveries = [] } = (await call(a, `wharf/registry/webhooks/deliveries?webhook_id=${webhookId}&max_results=1000`))!.body
          const done = new Set(deliveries.filter((d: { status: string }) => d.status === 'succeeded').map((d: { delivery_id: string }) => d.delivery_id))
          return answered.every((id) => done.has(id))
        },
        30_000,
      )
      const exited = new Promise((resolve) => b.process.once('exit', resolve))
      b.process.kill('SIGKILL')
      await exited
      bDead = true
      // The dead replica's connections are closed by now; one more turn of the loop sees them closed.
      await nextTurn()
      receiver.resume()
      await load

      // Nothing acknowledged is lost.
      for (const { runId, step } of ackedMetrics) {
        const history = await call(a, `mlflow/metrics/get-history?run_id=${runId}&metric_key=op`)
        assert.ok(
          history!.body.metrics.some((m: { step: number }) => m.step === step),
          `metric step ${step} of run ${runId} was acknowledged and is missing`,
        )
      }
      for (const version of ackedVersions) {
        assert.equal((await call(a, `mlflow/model-versions/get?name=load&version=${version}`))?.status, 200, `version ${version} is missing`)
      }

      // Every version's event reaches the receiver once: one delivery per event, each acknowledged once.
      const versions = (await call(a, 'mlflow/model-versions/search?filter=name%3D%27load%27&max_results=1000'))!.body.model_versions as unknown[]
      const deliveries = await waitFor(
        'every delivery to succeed',
        async () => {
          const { deliveries = [] } = (await call(a, `wharf/registry/webhooks/deliveries?webhook_id=${webhookId}&max_results=1000`))!.body
          return deliveries.length === versions.length && deliveries.every((d: { status: string }) => d.status === 'succeeded') ? deliveries : undefined
        },
        60_000,
      )
      const events = new Set(deliveries.map((d: { event: { event_id: number } }) => d.event.event_id))
      assert.equal(events.size, versions.length)
      const ids = deliveries.map((d: { delivery_id: string }) => d.delivery_id).sort()
      assert.deepEqual([...receiver.acknowledged].sort(), ids)

      // Both replicas started on an empty database; each migration step ran once.
      const db = new pg.Client({ connectionString: url })
      await db.connect()
      const { rows } = await db.query('SELECT version, count(*)::int AS n FROM wharf_schema_migrations GROUP BY version')
      await db.end()
      assert.ok(rows.length > 0 && rows.every((r: { n: number }) => r.n === 1))
    })
  })
}

if (postgres) {
  describe('deployment supervision across replicas', () => {
    let dir: string
    let url: string
    const servers: RunningServer[] = []

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'wharf-lease-'))
      url = await postgres.newDatabase()
      const args = ['--backend-store-uri', url, '--artifacts-destination', join(dir, 'artifacts')]
      servers.push(...(await Promise.all([startServer(args), startServer(args)])))
    })

    after(async () => {
      await Promise.all(servers.map((s) => s.stop()))
      await rm(dir, { recursive: true, force: true })
    })

    const holderNow = async (): Promise<string | undefined> => {
      const db = new pg.Client({ connectionString: url })
      await db.connect()
      try {
        const { rows } = await db.query(
          "SELECT holder FROM wharf_leases WHERE name = 'deployment-supervisor' AND expires_time >= (extract(epoch from clock_timestamp()) * 1000)::bigint",
        )
        return rows[0]?.holder
      } finally {
        await db.end()
      }
    }

    it('is held by one replica, and taken over by the other when the holder is killed', async () => {
      const first = await waitFor('a replica to take the deployment lease', holderNow, 20_000)
      const holders = servers.filter((s) => first.endsWith(` ${s.url}`))
      assert.equal(holders.length, 1, `lease holder '${first}' names one replica`)
      const [holder] = holders as [RunningServer]
      const survivor = servers.find((s) => s !== holder)!
      const exited = new Promise((resolve) => holder.process.once('exit', resolve))
      holder.process.kill('SIGKILL')
      await exited
      const next = await waitFor(
        'the survivor to take the lease over',
        async () => {
          const h = await holderNow()
          return h?.endsWith(` ${survivor.url}`) ? h : undefined
        },
        30_000,
      )
      assert.notEqual(next, first)
      const listed = await fetch(`${survivor.url}/api/2.0/wharf/deployments/list`)
      assert.equal(listed.status, 200)
    })
  })
}
