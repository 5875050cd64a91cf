import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { Logger } from '../logger.js'
import type { ArtifactStore } from '../store/artifact-store.js'

const gzipAsync = promisify(gzip)

/** One logged prediction request: one JSON line of a `.jsonl.gz` file (field names as on the wire). */
export interface PredictionLogRecord {
  readonly request_id: string
  /** ISO 8601, UTC. */
  readonly time: string
  readonly environment: string
  readonly model: string
  readonly version: string
  readonly path: string
  readonly status: number
  /** The request's rows (column → value), or its JSON as sent when it names no columns. */
  readonly inputs: unknown
  /** The answer's predictions, or its JSON as sent. */
  readonly outputs: unknown
}

export interface PredictionLogOptions {
  /** Folder of the artifact store the logs go under. */
  readonly root?: string
  /** Buffered records are written at least this often. */
  readonly flushIntervalMs?: number
  /** A batch this large is written at once. */
  readonly maxBatchRecords?: number
  readonly now?: () => number
  readonly logger?: Logger | undefined
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_')
const dayOf = (iso: string) => iso.slice(0, 10)
const dayMs = 86_400_000
/** Retention is applied at most this often per endpoint (a listing of the store each time). */
const sweepEveryMs = 3_600_000

/**
 * Prediction logs in the artifact store: records are buffered in memory and written in batches,
 * off the request path, as gzipped JSON Lines under
 * `<root>/<environment>/<model>/date=YYYY-MM-DD/<time>-<random>.jsonl.gz` (Hive-style partitions
 * that pandas, pyarrow, Spark and DuckDB read as a `date` column). Partitions older than an
 * endpoint's retention are deleted. A crash loses at most one flush interval of records: these
 * logs are samples, not an audit trail.
 */
export class PredictionLog {
  readonly #store: ArtifactStore
  readonly #root: string
  readonly #flushIntervalMs: number
  readonly #maxBatch: number
  readonly #now: () => number
  readonly #logger: Logger | undefined
  readonly #retentionDays = new Map<string, number>()
  readonly #lastSweep = new Map<string, number>()
  #buffer: PredictionLogRecord[] = []
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()

  constructor(store: ArtifactStore, options: PredictionLogOptions = {}) {
    this.#store = store
    this.#root = options.root ?? 'monitoring/predictions'
    this.#flushIntervalMs = options.flushIntervalMs ?? 5000
    this.#maxBatch = options.maxBatchRecords ?? 5000
    this.#now = options.now ?? Date.now
    this.#logger = options.logger
  }

  /** The folder of one endpoint's logs, relative to the artifact store's root. */
  folderOf(environment: string, model: string): string {
    return `${this.#root}/${safeName(environment)}/${safeName(model)}`
  }

  append(record: PredictionLogRecord, retentionDays: number): void {
    this.#retentionDays.set(this.folderOf(record.environment, record.model), retentionDays)
    this.#buffer.push(record)
    if (this.#buffer.length >= this.#maxBatch) void this.flush()
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushIntervalMs).unref()
  }

  /** Writes what is buffered (one file per endpoint and day), then applies retention. */
  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = this.#buffer
    this.#buffer = []
    this.#flushing = this.#flushing.then(() => this.#write(batch)).catch((err) => this.#logger?.error({ err }, 'prediction log write failed'))
    return this.#flushing
  }

  async close(): Promise<void> {
    await this.flush()
  }

  async #write(batch: readonly PredictionLogRecord[]): Promise<void> {
    const files = new Map<string, PredictionLogRecord[]>()
    for (const r of batch) {
      const file = `${this.folderOf(r.environment, r.model)}/date=${dayOf(r.time)}`
      const records = files.get(file)
      if (records) records.push(r)
      else files.set(file, [r])
    }
    const stamp = new Date(this.#now()).toISOString().replace(/[-:.]/g, '')
    for (const [folder, records] of files) {
      const text = `${records.map((r) => JSON.stringify(r)).join('\n')}\n`
      const body = await gzipAsync(text)
      await this.#store.put(`${folder}/${stamp}-${randomBytes(4).toString('hex')}.jsonl.gz`, Readable.from([body]))
    }
    for (const [folder, days] of this.#retentionDays) await this.#sweep(folder, days)
  }

  /** Deletes an endpoint's date partitions older than `retentionDays` (whole days, UTC). */
  async #sweep(folder: string, retentionDays: number): Promise<void> {
    const now = this.#now()
    if (now - (this.#lastSweep.get(folder) ?? 0) < sweepEveryMs) return
    this.#lastSweep.set(folder, now)
    const oldestKept = new Date(now - retentionDays * dayMs).toISOString().slice(0, 10)
    for (const entry of await this.#store.list(folder)) {
      const day = /(?:^|\/)date=(\d{4}-\d{2}-\d{2})$/.exec(entry.path)?.[1]
      if (entry.isDir && day !== undefined && day < oldestKept) await this.#store.delete(`${folder}/date=${day}`)
    }
  }
}
