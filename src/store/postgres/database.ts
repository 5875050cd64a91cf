import { hostname } from 'node:os'
import pg from 'pg'
import { invalidParameter } from '../../errors.js'
import { migrate } from './migrations.js'

export interface PostgresOptions {
  /** Connections in the pool (per server process). */
  readonly maxConnections?: number | undefined
}

/** The URI with its password replaced, for messages: a `postgresql://` URI carries a secret. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri)
    if (url.password !== '') url.password = '***'
    return url.toString()
  } catch {
    return `${uri.split(':')[0]}://…`
  }
}

const int8 = 20
// BIGINT columns hold millisecond times and ids, all well inside Number's safe range; pg returns
// them as strings by default.
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === int8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
}

/** Codes of PostgreSQL errors that mean "the input does not fit", not "the server is broken". */
const inputErrorClasses = new Set(['22P02', '22003', '22007', '22008', '42883', '2201W', '2201X'])

/** `?` placeholders (the SQLite stores' style, shared by search-sql.ts) to PostgreSQL's `$n`. */
const converted = new Map<string, string>()
function toPositional(sql: string): string {
  let out = converted.get(sql)
  if (out === undefined) {
    let n = 0
    out = sql.replace(/\?/g, () => `$${++n}`)
    if (converted.size < 2000) converted.set(sql, out)
  }
  return out
}

/** Runs statements on a pool or on one transaction's client. */
export class PgExecutor {
  constructor(protected readonly client: pg.Pool | pg.PoolClient) {}

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.#query(sql, params)).rows as T[]
  }

  async get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.#query(sql, params)).rows[0] as T | undefined
  }

  /** The number of rows the statement changed. */
  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.#query(sql, params)).rowCount ?? 0
  }

  async #query(sql: string, params: readonly unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.client.query(toPositional(sql), params as unknown[])
    } catch (err) {
      const code = (err as { code?: string }).code
      // A value of the wrong type in a search filter (`attributes.start_time = 'x'`) is the client's mistake.
      if (code !== undefined && inputErrorClasses.has(code)) throw invalidParameter(`Invalid value in query: ${(err as Error).message}`, { cause: err })
      throw err
    }
  }
}

const retryable = new Set(['40001', '40P01'])

/** A pool of connections to one Wharf database, at the newest schema. */
export class PgDatabase extends PgExecutor {
  readonly pool: pg.Pool

  private constructor(pool: pg.Pool) {
    super(pool)
    this.pool = pool
  }

  /** Connects, then brings the schema up to date under an advisory lock (migrations.ts). */
  static async open(uri: string, options: PostgresOptions = {}): Promise<PgDatabase> {
    const pool = new pg.Pool({
      connectionString: uri,
      max: options.maxConnections ?? 10,
      application_name: `wharf@${hostname()}:${process.pid}`,
      types: typeParsers,
    })
    // An idle connection the server drops (restart, failover) is replaced on the next query; without
    // a listener the pool's 'error' event would end the process.
    pool.on('error', () => {})
    try {
      await migrate(pool)
    } catch (err) {
      await pool.end()
      throw err
    }
    return new PgDatabase(pool)
  }

  /**
   * One transaction on one connection; rolled back when `body` throws. Deadlocks and serialization
   * failures (two replicas writing the same rows) are retried, as PostgreSQL's manual advises.
   */
  async tx<T>(body: (q: PgExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect()
      try {
        await client.query('BEGIN')
        const result = await body(new PgExecutor(client))
        await client.query('COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        if (attempt < 5 && retryable.has((err as { code?: string }).code ?? '')) continue
        throw err
      } finally {
        client.release()
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}

export const isUniqueViolation = (err: unknown) => typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505'
