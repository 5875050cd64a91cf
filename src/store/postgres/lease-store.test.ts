import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { skipWithoutPostgres, testPostgres } from '../../testing/postgres.js'
import { PgDatabase } from './database.js'
import { PostgresLeaseStore } from './lease-store.js'

const postgres = await testPostgres()
if (!postgres) {
  skipWithoutPostgres('PostgreSQL leases')
} else {
  describe('PostgreSQL leases', () => {
    let db: PgDatabase
    let leases: PostgresLeaseStore
    before(async () => {
      db = await PgDatabase.open(await postgres.newDatabase())
      leases = new PostgresLeaseStore(db)
    })
    after(() => db.close())

    it('gives a lease to exactly one of many replicas asking at once', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => leases.tryAcquire('race', `r${i}`, 60_000)))
      assert.equal(results.filter(Boolean).length, 1)
      const winner = `r${results.indexOf(true)}`
      assert.equal(await leases.holder('race'), winner)
      assert.equal(await leases.tryAcquire('race', winner, 60_000), true, 'the holder renews')
      assert.equal(await leases.tryAcquire('race', 'someone-else', 60_000), false)
    })

    it('lets another replica take a lease its holder stopped renewing, once it has expired', async () => {
      assert.equal(await leases.tryAcquire('expiring', 'dead', 1), true)
      // The lease ran for 1 ms of the database's clock; waiting past it is the condition, not a timing assertion.
      await sleep(20)
      assert.equal(await leases.holder('expiring'), undefined)
      assert.equal(await leases.tryAcquire('expiring', 'survivor', 60_000), true)
      assert.equal(await leases.tryAcquire('expiring', 'dead', 60_000), false)
    })

    it('hands a released lease over at once', async () => {
      assert.equal(await leases.tryAcquire('released', 'a', 60_000), true)
      await leases.release('released', 'b')
      assert.equal(await leases.holder('released'), 'a', 'only the holder releases')
      await leases.release('released', 'a')
      assert.equal(await leases.tryAcquire('released', 'b', 60_000), true)
    })
  })
}
