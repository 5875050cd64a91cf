import type { Database, Statement } from 'better-sqlite3'
import type { Metric } from '../../tracking/entities.js'
import { metricValueColumns } from './rows.js'

/** History rows per INSERT: 9 values each stays far below SQLite's 32,766 bound parameters. */
const chunkRows = 100
const metricColumns = '(run_uuid, key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest)'
const metricRow = '(?, ?, ?, ?, ?, ?, ?, ?, ?)'

/**
 * Writes a batch of metrics with few statements: the history rows 100 to an INSERT, in the batch's
 * order (so `seq` keeps it), and one latest_metrics upsert per key instead of one per metric. A
 * 1,000-metric log-batch was 2,000 statement runs, each a bind and a B-tree descent; now 10 + keys.
 * Called inside the caller's transaction.
 */
export class SqliteMetricWriter {
  readonly #insertOne: Statement
  readonly #insertChunk: Statement
  readonly #upsertLatest: Statement

  constructor(db: Database) {
    this.#insertOne = db.prepare(`INSERT INTO metrics ${metricColumns} VALUES ${metricRow}`)
    this.#insertChunk = db.prepare(`INSERT INTO metrics ${metricColumns} VALUES ${Array(chunkRows).fill(metricRow).join(', ')}`)
    // MLflow's SQL store keeps the metric with the greatest (step, timestamp, value) as the latest.
    this.#upsertLatest = db.prepare(
      `INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan,
         timestamp = excluded.timestamp, step = excluded.step
       WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`,
    )
  }

  write(runId: string, metrics: readonly Metric[]): void {
    const rows = metrics.map((m) => {
      const { value, isNan } = metricValueColumns(m.value)
      return [runId, m.key, value, isNan, m.timestamp, m.step, m.modelId ?? null, m.datasetName ?? null, m.datasetDigest ?? null]
    })
    let i = 0
    for (; i + chunkRows <= rows.length; i += chunkRows) this.#insertChunk.run(rows.slice(i, i + chunkRows).flat())
    for (; i < rows.length; i++) this.#insertOne.run(rows[i])
    for (const m of latestByKey(metrics)) {
      const { value, isNan } = metricValueColumns(m.value)
      this.#upsertLatest.run(runId, m.key, value, isNan, m.timestamp, m.step)
    }
  }
}

/**
 * For each key, the metric of the batch that one upsert per metric, in order, would have left: the
 * greatest (step, timestamp, stored value), the first of equals (a later equal one is not greater).
 */
export function latestByKey(metrics: readonly Metric[]): Metric[] {
  const best = new Map<string, Metric>()
  for (const m of metrics) {
    const b = best.get(m.key)
    if (b === undefined || greater(m, b)) best.set(m.key, m)
  }
  return [...best.values()]
}

function greater(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp
  return metricValueColumns(a.value).value > metricValueColumns(b.value).value
}
