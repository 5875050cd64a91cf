import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { skipWithoutPostgres, testPostgres } from '../../testing/postgres.js'
import { PgDatabase, redactUri } from './database.js'
import { migrations } from './migrations.js'

const postgres = await testPostgres()

async function migrationLog(url: string): Promise<{ version: number; applied_by: string }[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query('SELECT version, applied_by FROM wharf_schema_migrations ORDER BY version')).rows
  } finally {
    await client.end()
  }
}

if (!postgres) {
  skipWithoutPostgres('PostgreSQL migrations')
} else {
  describe('PostgreSQL migrations', () => {
    let url: string
    before(async () => {
      url = await postgres.newDatabase()
    })
    const opened: PgDatabase[] = []
    after(async () => {
      for (const db of opened) await db.close()
    })

    it('runs each step exactly once when several replicas start at the same moment', async () => {
      // Four pools racing on an empty database: without the advisory lock two of them would
      // CREATE the same tables and fail; with it one migrates and the others find nothing to do.
      const dbs = await Promise.all([1, 2, 3, 4].map(() => PgDatabase.open(url, { maxConnections: 2 })))
      opened.push(...dbs)
      const log = await migrationLog(url)
      assert.deepEqual(
        log.map((r) => r.version),
        migrations.map((_, i) => i + 1),
      )
      // One process applied them all, in one transaction.
      assert.equal(new Set(log.map((r) => r.applied_by)).size, 1)
    })

    it('leaves an up-to-date database as it is when opened again', async () => {
      const before = await migrationLog(url)
      opened.push(await PgDatabase.open(url))
      assert.deepEqual(await migrationLog(url), before)
    })

    it('refuses a database whose schema is newer than this Wharf', async () => {
      const newer = await postgres.newDatabase()
      opened.push(await PgDatabase.open(newer))
      const client = new pg.Client({ connectionString: newer })
      await client.connect()
      await client.query('INSERT INTO wharf_schema_migrations (version, applied_time, applied_by) VALUES ($1, 0, $2)', [migrations.length + 1, 'future'])
      await client.end()
      await assert.rejects(PgDatabase.open(newer), /newer than this Wharf supports/)
    })

    it('never puts the password in an error or a redacted URI', async () => {
      const wrong = new URL(url)
      wrong.password = 'not-the-Secret-pw-1234'
      await assert.rejects(PgDatabase.open(wrong.toString()), (err: Error) => {
        assert.doesNotMatch(`${err.message} ${err.stack}`, /not-the-Secret-pw-1234/)
        return true
      })
      const redacted = redactUri(wrong.toString())
      assert.doesNotMatch(redacted, /not-the-Secret-pw-1234/)
      assert.match(redacted, /\*\*\*@127\.0\.0\.1/)
    })
  })
}
