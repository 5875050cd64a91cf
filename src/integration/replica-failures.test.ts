import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { invoke } from '../deploy/fixtures/deploy-harness.js'
import { isAlive, servingProcesses, waitFor } from '../testing/fixtures.js'
import { skipWithoutPostgres, testPostgres } from '../testing/postgres.js'
import { type DeploymentReplicas, startDeploymentReplicas } from './deployment-replicas.js'
import type { RunningServer } from './server-process.js'

const postgres = await testPostgres()

/**
 * The supervising replica failing in the two ways a SIGKILL does not show: it stops (SIGSTOP, as a
 * frozen VM or a network partition would) without closing its connections, and it dies between
 * starting a serving process and writing its pid down.
 */
if (!postgres) {
  skipWithoutPostgres('replica failures on PostgreSQL')
} else {
  describe('a supervising replica that stops answering, or dies mid-deploy', () => {
    let dir: string
    let url: string
    let replicas: DeploymentReplicas
    let db: pg.Client

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'wharf-replica-failures-'))
      url = await postgres.newDatabase()
      replicas = await startDeploymentReplicas(dir, url)
      db = new pg.Client({ connectionString: url })
      await db.connect()
    })

    after(async () => {
      await db?.end()
      await replicas?.stop()
      await rm(dir, { recursive: true, force: true })
    })

    const deploy = (server: RunningServer, version: string, environment: string, actor: string) =>
      replicas.api(server, 'POST', 'wharf/deployments/deploy', { model_name: 'stall', version, environment }, actor)

    /** Deploys, sending again while the answer is 503 (a control plane still starting); any other answer but 200 fails. */
    const deployWhenReady = (server: RunningServer, version: string, environment: string, actor: string) =>
      waitFor(
        `version ${version} deployed to ${environment}`,
        async () => {
          const res = await deploy(server, version, environment, actor)
          if (res?.status === 503) return undefined
          assert.equal(res?.status, 200, JSON.stringify(res?.body))
          return res!.body
        },
        60_000,
        200,
      )

    const history = async (server: RunningServer) =>
      (await replicas.ok(server, 'GET', 'wharf/deployments/history', { model_name: 'stall', max_results: 1000 })).changes as any[]

    it('answers a request forwarded to a stopped supervising replica with a clear 504, and the survivor takes over', async (t) => {
      const { supervising: stopped, other: survivor } = await replicas.roles()
      const experiment = await replicas.ok(survivor, 'POST', 'mlflow/experiments/create', { name: 'stall' })
      const run = await replicas.ok(survivor, 'POST', 'mlflow/runs/create', { experiment_id: experiment.experiment_id })
      await replicas.ok(survivor, 'POST', 'mlflow/registered-models/create', { name: 'stall' })
      for (let i = 0; i < 2; i++)
        await replicas.ok(survivor, 'POST', 'mlflow/model-versions/create', { name: 'stall', source: `runs:/${run.run.info.run_id}/model` })
      const staging = (await deployWhenReady(survivor, '1', 'staging', 'before-stop')).endpoint

      // Stopped, not dead: its sockets stay open and accept connections, and nothing answers on them.
      stopped.process.kill('SIGSTOP')
      const stoppedAt = Date.now()
      const stalled = await deploy(survivor, '2', 'staging', 'sent-to-the-stopped-one')
      // Measured, not asserted: how long the client waited.
      t.diagnostic(`504 answered ${Date.now() - stoppedAt} ms after the SIGSTOP`)
      assert.equal(stalled?.status, 504, JSON.stringify(stalled?.body))
      assert.equal(stalled.body.error_code, 'DEADLINE_EXCEEDED')
      assert.match(stalled.body.message, /did not answer before its lease ran out/)
      assert.match(stalled.body.message, /may or may not have been applied/)

      await waitFor('the survivor to take the lease', async () => (await replicas.holderNow())?.endsWith(` ${survivor.url}`), 60_000)
      // A new endpoint: on this one machine the stopped replica still holds the staging router's port.
      const production = (await deployWhenReady(survivor, '2', 'production', 'after-stop')).endpoint
      assert.equal((await invoke(production.url)).version, '2')

      // Resumed, the stopped replica finds its lease was not renewed in time and stops supervising; the
      // request still in its socket was forwarded to that ended term, and is refused, not applied.
      stopped.process.kill('SIGCONT')
      await waitFor('the resumed replica to step down', () => /not renewed in time|lost the deployment lease/.test(stopped.stdout()), 30_000)
      await deployWhenReady(stopped, '2', 'staging', 'after-resume')
      assert.ok((await replicas.holderNow())?.endsWith(` ${survivor.url}`), 'the survivor still supervises')
      const actors = (await history(survivor)).map((c) => c.actor)
      assert.deepEqual(actors, ['before-stop', 'after-stop', 'after-resume'], 'the request sent to the stopped replica was never applied')
      const answer = await waitFor('staging to answer through the survivor', () => invoke(staging.url).catch(() => undefined))
      assert.equal(answer.version, '2')
    })

    it('adopts the serving process the supervising replica started but died before recording', async () => {
      const { supervising: dying, other: survivor } = await replicas.roles()
      // The supervising replica's statement that records a pid stalls (a slow database), so it can be
      // killed after the process started and before its pid is written: the window of the orphan.
      await db.query(
        'CREATE FUNCTION stall_recorded_pid() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.pid IS NOT NULL THEN PERFORM pg_sleep(600); END IF; RETURN NEW; END $$',
      )
      await db.query('CREATE TRIGGER stall_recorded_pid BEFORE UPDATE ON deploy_instances FOR EACH ROW EXECUTE FUNCTION stall_recorded_pid()')
      const pending = deploy(survivor, '1', 'production', 'orphaning')
      try {
        const row = await waitFor(
          'the new instance to be recorded without a pid',
          async () => (await db.query("SELECT instance_id, pid FROM deploy_instances WHERE environment = 'production' AND version = '1'")).rows[0],
          60_000,
        )
        assert.equal(row.pid, null)
        const orphan = await waitFor(
          'its serving process to start',
          async () => (await servingProcesses(dir)).find((p) => p.instanceId === row.instance_id),
          30_000,
        )
        const exited = once(dying.process, 'exit')
        dying.process.kill('SIGKILL')
        await exited
        // The dead replica's statement would still write the pid when its sleep ends: end it as a lost connection would.
        await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'")
        await db.query('DROP TRIGGER stall_recorded_pid ON deploy_instances')
        assert.notEqual((await pending)?.status, 200, 'the deploy was cut off')

        await waitFor('the survivor to take the lease', async () => (await replicas.holderNow())?.endsWith(` ${survivor.url}`), 60_000)
        await waitFor(
          'the survivor to record the process it adopted',
          async () => (await db.query('SELECT pid FROM deploy_instances WHERE instance_id = $1', [row.instance_id])).rows[0]?.pid === orphan.pid,
          60_000,
        )
        // Sent again, the deploy uses the adopted process.
        const production = (await deployWhenReady(survivor, '1', 'production', 'orphaning-again')).endpoint
        assert.equal(production.live_version, '1')
        assert.equal((await invoke(production.url)).version, '1')

        // Exactly one live serving process per recorded instance, one instance per deployed version, nothing untracked.
        const instances = (await db.query('SELECT instance_id, environment, version, pid FROM deploy_instances ORDER BY environment, version')).rows
        assert.deepEqual(
          instances.map((i) => `${i.environment}:${i.version}`),
          ['production:1', 'production:2', 'staging:1', 'staging:2'],
        )
        assert.equal(instances.find((i) => i.instance_id === row.instance_id)?.pid, orphan.pid, 'the orphan was adopted, not replaced')
        const running = (await servingProcesses(dir)).filter((p) => isAlive(p.pid))
        assert.deepEqual(
          running.map((p) => p.pid).sort(),
          instances.map((i) => i.pid).sort(),
          `serving processes ${JSON.stringify(running)} are the recorded ones ${JSON.stringify(instances)}`,
        )
      } finally {
        await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'")
        await db.query('DROP TRIGGER IF EXISTS stall_recorded_pid ON deploy_instances')
      }
    })
  })
}
