import { type NamedLocks, ProcessLocks } from '../named-locks.js'
import type { PgDatabase } from './database.js'

/**
 * The first key of Wharf's two-key advisory locks. PostgreSQL keeps two-key locks apart from the
 * one-key ones (the migration and pipeline locks), so the hashed names below cannot collide with those.
 */
const lockClass = 0x57686c6b

/**
 * Named locks shared by every replica on the database: a session-level advisory lock on a
 * connection of its own, held while the work runs. A second caller waits in `pg_advisory_lock`;
 * when the holder's process dies its connection closes and PostgreSQL lets the lock go, so a
 * crash never leaves an endpoint locked.
 */
export class PostgresAdvisoryLocks implements NamedLocks {
  readonly #db: PgDatabase
  // Callers in this process queue here first: each name costs at most one waiting connection.
  readonly #local = new ProcessLocks()

  constructor(db: PgDatabase) {
    this.#db = db
  }

  withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.#local.withLock(name, async () => {
      const client = await this.#db.pool.connect()
      let unlocked = false
      // A session the server ends while the work runs (a restart, a failover) reports it here; the
      // unlock below then fails and the connection is dropped. Without a listener it would end the process.
      const onError = () => {}
      client.on('error', onError)
      try {
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [lockClass, name])
        try {
          return await work()
        } finally {
          unlocked = await client
            .query('SELECT pg_advisory_unlock($1, hashtext($2))', [lockClass, name])
            .then(() => true)
            .catch(() => false)
        }
      } finally {
        client.off('error', onError)
        // A connection whose unlock failed may still hold the lock: close it rather than pool it.
        client.release(unlocked ? undefined : true)
      }
    })
  }
}
