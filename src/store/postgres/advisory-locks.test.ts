import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { kubernetesLockName } from '../../deploy/control-plane.js'
import { waitFor } from '../../testing/fixtures.js'
import { skipWithoutPostgres, testPostgres } from '../../testing/postgres.js'
import { PostgresAdvisoryLocks } from './advisory-locks.js'
import { PgDatabase } from './database.js'
import { PostgresDeploymentStore } from './deployment-store.js'

const postgres = await testPostgres()

/**
 * One replica as the control plane sees it: its own pool, locks and deployment store on the shared
 * database. `step` records a change, so the order of what two replicas did is read back from the store.
 */
class Replica {
  readonly locks: PostgresAdvisoryLocks
  readonly store: PostgresDeploymentStore
  constructor(
    readonly name: string,
    readonly db: PgDatabase,
  ) {
    this.locks = new PostgresAdvisoryLocks(db)
    this.store = new PostgresDeploymentStore(db)
  }

  step(modelName: string, step: string) {
    return this.store.recordChange({
      time: Date.now(),
      actor: this.name,
      action: 'deploy',
      environment: 'cluster',
      modelName,
      fromVersion: undefined,
      toVersion: undefined,
      data: { step },
    })
  }
}

if (!postgres) {
  skipWithoutPostgres('PostgreSQL advisory locks')
} else {
  describe('PostgreSQL named locks: two replicas never drive one endpoint at once', () => {
    let a: Replica
    let b: Replica
    let observer: PgDatabase

    before(async () => {
      const url = await postgres.newDatabase()
      a = new Replica('replica-a', await PgDatabase.open(url))
      b = new Replica('replica-b', await PgDatabase.open(url))
      observer = await PgDatabase.open(url)
    })
    after(async () => {
      await Promise.all([a.db.close(), b.db.close(), observer.close()])
    })

    /** Sessions waiting for one of Wharf's named locks, as PostgreSQL reports them. */
    const waiters = async () =>
      (await observer.get<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND NOT granted",
      ))!.n
    const steps = async (modelName: string) =>
      (await a.store.listChanges({ environment: 'cluster', modelName })).map((c) => `${c.actor} ${String(c.data.step)}`)

    it("makes the second replica's rollout of an endpoint wait until the first one's ends", async () => {
      const lock = kubernetesLockName('cluster', 'serial')
      let second: Promise<void> | undefined
      await a.locks.withLock(lock, async () => {
        await a.step('serial', 'start')
        second = b.locks.withLock(lock, async () => {
          await b.step('serial', 'start')
          await b.step('serial', 'end')
        })
        // B is inside pg_advisory_lock now, blocked: without the lock it would have written its start already.
        await waitFor('replica B to wait for the lock', async () => (await waiters()) === 1)
        await a.step('serial', 'end')
      })
      await second
      assert.deepEqual(await steps('serial'), ['replica-a start', 'replica-a end', 'replica-b start', 'replica-b end'])
      assert.equal(await waiters(), 0)
    })

    it('lets rollouts of different endpoints run side by side', async () => {
      await a.locks.withLock(kubernetesLockName('cluster', 'one'), async () => {
        await a.step('one', 'start')
        // B finishes a whole change of another endpoint while A holds its lock.
        await b.locks.withLock(kubernetesLockName('cluster', 'two'), () => b.step('two', 'done'))
        await a.step('one', 'end')
      })
      assert.deepEqual(await steps('two'), ['replica-b done'])
      assert.deepEqual(await steps('one'), ['replica-a start', 'replica-a end'])
    })

    it('queues callers of one process behind each other, on one connection at a time', async () => {
      const lock = kubernetesLockName('cluster', 'local')
      const order: string[] = []
      await Promise.all(
        [1, 2, 3].map((n) =>
          a.locks.withLock(lock, async () => {
            order.push(`start ${n}`)
            await a.step('local', `call ${n}`)
            order.push(`end ${n}`)
          }),
        ),
      )
      assert.deepEqual(order, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3'])
    })

    it("lets the lock go when the holder's session dies, so a crashed replica never blocks an endpoint", async () => {
      const lock = kubernetesLockName('cluster', 'crash')
      let second: Promise<void> | undefined
      const first = a.locks.withLock(lock, async () => {
        await a.step('crash', 'start')
        second = b.locks.withLock(lock, () => b.step('crash', 'after').then(() => {}))
        await waitFor('replica B to wait for the lock', async () => (await waiters()) === 1)
        // A's database session ends as it would when its process is killed.
        await observer.run(
          "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND granted",
        )
        await waitFor('replica B to run', async () => (await steps('crash')).includes('replica-b after'))
      })
      await first
      await second
      assert.deepEqual(await steps('crash'), ['replica-a start', 'replica-b after'])
    })

    it('leaves no lock behind when the work fails', async () => {
      const lock = kubernetesLockName('cluster', 'failing')
      await assert.rejects(
        a.locks.withLock(lock, async () => {
          throw new Error('rollout failed')
        }),
        /rollout failed/,
      )
      await b.locks.withLock(lock, () => b.step('failing', 'next'))
      assert.deepEqual(await steps('failing'), ['replica-b next'])
    })
  })
}
