import type { Database, Statement } from 'better-sqlite3'
import type { ViewType } from '../../tracking/entities.js'
import { type Bucket, bucketCount, flattenBuckets } from '../min-max-decimation.js'
import type { MetricSample, MetricSampleQuery, RunColumns, RunKeys, RunSummary } from '../tracking-views.js'
import { type RunRow, toRunInfo } from './rows.js'

const lifecycleFilter = { ACTIVE_ONLY: "= 'active'", DELETED_ONLY: "= 'deleted'", ALL: "IN ('active', 'deleted')" } as const

interface ValueRow {
  owner: string
  key: string
  value: number | string
  is_nan?: number
}

/**
 * The web UI's reads on SQLite: only the chosen columns of a page of runs, the keys an experiment
 * uses, and metric histories thinned in SQL. Ids and keys travel as JSON array parameters, so each
 * statement is prepared once whatever the number of runs or columns.
 */
export class SqliteTrackingViews {
  readonly #db: Database
  readonly #metrics: Statement
  readonly #params: Statement
  readonly #tags: Statement
  readonly #range: Statement
  readonly #firstStep: Statement
  readonly #lastStep: Statement
  readonly #points: Statement
  readonly #bucket: Statement

  constructor(db: Database) {
    this.#db = db
    const ids = 'SELECT value FROM json_each(?)'
    const chosen = (table: string, extra = '') =>
      db.prepare(`SELECT run_uuid AS owner, key, value${extra} FROM ${table} WHERE run_uuid IN (${ids}) AND key IN (${ids})`)
    this.#metrics = chosen('latest_metrics', ', is_nan')
    this.#params = chosen('params')
    this.#tags = chosen('tags')
    const history = 'FROM metrics WHERE run_uuid = ? AND key = ?'
    // Counts no further than it needs to: is the range small enough to send whole?
    this.#range = db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 ${history} AND step BETWEEN ? AND ? LIMIT ?)`)
    this.#firstStep = db.prepare(`SELECT MIN(step) AS step ${history}`)
    this.#lastStep = db.prepare(`SELECT MAX(step) AS step ${history}`)
    this.#points = db.prepare(`SELECT step, value ${history} AND step BETWEEN ? AND ? AND is_nan = 0 ORDER BY step, timestamp`).raw()
    // One bucket's extremes and the steps it spans, read from the history index alone (migrations.ts, 5).
    // One range query per bucket: a GROUP BY on a computed bucket sorts every row in a temporary
    // B-tree first, which took three times as long on a 1,000,000-point history.
    this.#bucket = db.prepare(`SELECT MIN(step), MAX(step), MIN(value), MAX(value), COUNT(*) ${history} AND step BETWEEN ? AND ? AND is_nan = 0`).raw()
  }

  summarize(rows: readonly RunRow[], columns: RunColumns): RunSummary[] {
    const ids = JSON.stringify(rows.map((r) => r.run_uuid))
    const read = (statement: Statement, keys: readonly string[]) => (keys.length === 0 ? [] : (statement.all(ids, JSON.stringify(keys)) as ValueRow[]))
    const summaries = new Map<string, { metrics: Record<string, number>; params: Record<string, string>; tags: Record<string, string> }>()
    for (const r of rows) summaries.set(r.run_uuid, { metrics: {}, params: {}, tags: {} })
    for (const m of read(this.#metrics, columns.metrics)) summaries.get(m.owner)!.metrics[m.key] = m.is_nan ? Number.NaN : Number(m.value)
    for (const p of read(this.#params, columns.params)) summaries.get(p.owner)!.params[p.key] = String(p.value)
    for (const t of read(this.#tags, columns.tags)) summaries.get(t.owner)!.tags[t.key] = String(t.value)
    return rows.map((r) => ({ info: toRunInfo(r), ...summaries.get(r.run_uuid)! }))
  }

  listRunKeys(experimentIds: readonly string[], viewType: ViewType): RunKeys {
    const runs = `SELECT run_uuid FROM runs WHERE experiment_id IN (SELECT value FROM json_each(?)) AND lifecycle_stage ${lifecycleFilter[viewType]}`
    const ids = JSON.stringify(experimentIds.filter((id) => /^\d+$/.test(id)).map(Number))
    const keys = (table: string) => this.#db.prepare(`SELECT DISTINCT key FROM ${table} WHERE run_uuid IN (${runs}) ORDER BY key`).pluck().all(ids) as string[]
    return { metrics: keys('latest_metrics'), params: keys('params'), tags: keys('tags') }
  }

  /** The caller has checked that the run exists. */
  sampleMetricHistory(q: MetricSampleQuery): MetricSample {
    const firstStep = this.#firstStep.get(q.runId, q.key) as { step: number | null }
    const lastStep = this.#lastStep.get(q.runId, q.key) as { step: number | null }
    const empty = { steps: [], values: [], totalPoints: 0, isSampled: false, firstStep: undefined, lastStep: undefined }
    if (firstStep.step === null || lastStep.step === null) return empty
    const lo = Math.max(q.minStep ?? firstStep.step, firstStep.step)
    const hi = Math.min(q.maxStep ?? lastStep.step, lastStep.step)
    const bounds = { firstStep: firstStep.step, lastStep: lastStep.step }
    if (lo > hi) return { ...empty, ...bounds }
    const { n } = this.#range.get(q.runId, q.key, lo, hi, q.maxPoints + 1) as { n: number }
    if (n <= q.maxPoints) {
      const rows = this.#points.all(q.runId, q.key, lo, hi) as [number, number][]
      return { steps: rows.map((r) => r[0]), values: rows.map((r) => r[1]), totalPoints: rows.length, isSampled: false, ...bounds }
    }
    const span = hi - lo + 1
    const buckets = Math.min(bucketCount(q.maxPoints), span)
    // A bucket is one pixel column at the resolution asked for: its extremes are drawn as one
    // stroke, so they are placed at its first and last step, in the order that continues the line.
    let previous: number | undefined
    let total = 0
    const placed: Bucket[] = []
    for (let b = 0; b < buckets; b++) {
      const from = lo + Math.ceil((b * span) / buckets)
      const to = lo + Math.ceil(((b + 1) * span) / buckets) - 1
      const [first, last, min, max, count] = this.#bucket.get(q.runId, q.key, from, to) as [number | null, number, number, number, number]
      total += count
      if (first === null) continue
      const isMaxFirst = previous !== undefined && Math.abs(previous - max) < Math.abs(previous - min)
      previous = isMaxFirst ? min : max
      placed.push(
        isMaxFirst
          ? { firstStep: first, lastStep: last, min, max, minStep: last, maxStep: first }
          : { firstStep: first, lastStep: last, min, max, minStep: first, maxStep: last },
      )
    }
    const { steps, values } = flattenBuckets(placed)
    return { steps, values, totalPoints: total, isSampled: true, ...bounds }
  }
}
