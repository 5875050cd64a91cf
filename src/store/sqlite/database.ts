import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { migrate } from './migrations.js'

export interface SqliteOptions {
  /** 'full' fsyncs the WAL at every commit (survives power loss); 'normal' survives process crashes only. */
  readonly durability: 'full' | 'normal'
}

/**
 * Opens (creating if needed) a Wharf SQLite database at the newest schema.
 * WAL lets readers run beside the single writer; busy_timeout makes a second process (a CLI next to
 * the server) wait instead of failing with "database is locked".
 */
export function openSqlite(path: string, options: SqliteOptions): Database.Database {
  if (path !== ':memory:') {
    // Private to the server's user whatever the umask (issue #12); SQLite gives the -wal and -shm
    // files the database file's permissions.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    closeSync(openSync(path, 'a', 0o600))
  }
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`)
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 10000')
  // MLflow's LIKE is case-sensitive (ILIKE is the folding one); SQLite's LIKE folds ASCII by default.
  db.pragma('case_sensitive_like = ON')
  migrate(db)
  return db
}
