import type { LeaseStore } from '../lease-store.js'
import type { PgDatabase } from './database.js'

const dbNow = '(extract(epoch from clock_timestamp()) * 1000)::bigint'

/** Leases in one table (migration 7); one statement takes, renews or refuses, so two replicas never both hold one. */
export class PostgresLeaseStore implements LeaseStore {
  readonly #db: PgDatabase

  constructor(db: PgDatabase) {
    this.#db = db
  }

  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const row = await this.#db.get<{ holder: string }>(
      `INSERT INTO wharf_leases (name, holder, expires_time) VALUES (?, ?, ${dbNow} + ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_time = excluded.expires_time
       WHERE wharf_leases.holder = excluded.holder OR wharf_leases.expires_time < ${dbNow}
       RETURNING holder`,
      [name, holder, ttlMs],
    )
    return row?.holder === holder
  }

  async release(name: string, holder: string): Promise<void> {
    await this.#db.run('DELETE FROM wharf_leases WHERE name = ? AND holder = ?', [name, holder])
  }

  async holder(name: string): Promise<string | undefined> {
    const row = await this.#db.get<{ holder: string }>(`SELECT holder FROM wharf_leases WHERE name = ? AND expires_time >= ${dbNow}`, [name])
    return row?.holder
  }
}
