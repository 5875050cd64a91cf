import { alreadyExists, invalidParameter, notFound } from '../../errors.js'
import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  Page,
  Run,
  RunBatch,
  RunInfo,
  Tag,
} from '../../tracking/entities.js'
import {
  type ExperimentRow,
  type KeyValueRow,
  type MetricRow,
  type RunRow,
  groupByOwner,
  metricValueColumns,
  toExperiment,
  toMetric,
  toRunInfo,
  toTag,
} from '../sqlite/rows.js'
import { type SearchPart, readParts, searchParts } from '../sqlite/search-pages.js'
import { decodePageToken, encodePageToken, orderSql, whereSql } from '../sqlite/search-sql.js'
import { metricHistoryHasPointSql, metricHistoryJsonSql } from '../metric-history-json.js'
import type {
  LoggedModelQuery,
  MetricHistoryJson,
  NewExperiment,
  NewLoggedModel,
  NewRun,
  RunPatch,
  RunQuery,
  SearchQuery,
  TrackingStore,
} from '../tracking-store.js'
import { type PgDatabase, type PgExecutor, isUniqueViolation } from './database.js'
import { PostgresLoggedModels } from './logged-models.js'
import { loadRuns } from './run-loader.js'
import { runTarget, experimentTarget, lifecycleFilter } from '../sqlite/search-targets.js'

/** Ids a BIGINT column can hold; anything else names no experiment. */
const experimentKey = (id: string): number | undefined => (/^\d{1,18}$/.test(id) ? Number(id) : undefined)

const upsertTag = 'INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value'

/**
 * TrackingStore on PostgreSQL (pg, a pool shared with the other stores). Same SQL shapes as the
 * SQLite store (sqlite/tracking-store.ts), so search, ordering and paging behave alike; every write
 * method is one transaction. Open with `PostgresTrackingStore.open`, which makes the Default experiment.
 */
export class PostgresTrackingStore implements TrackingStore {
  readonly #db: PgDatabase
  readonly #ownsDb: boolean
  readonly #models: PostgresLoggedModels

  private constructor(db: PgDatabase, ownsDb: boolean) {
    this.#db = db
    this.#ownsDb = ownsDb
    this.#models = new PostgresLoggedModels(db)
  }

  /** A store on `db`; with `ownsDb`, `close()` closes the pool too. */
  static async open(db: PgDatabase, options: { ownsDb?: boolean } = {}): Promise<PostgresTrackingStore> {
    // Clients with no experiment configured send experiment_id "0" (docs/protocols.md §1.2).
    const now = Date.now()
    await db.run(
      `INSERT INTO experiments (experiment_id, name, artifact_location, creation_time, last_update_time)
       VALUES (0, 'Default', 'mlflow-artifacts:/0', ?, ?) ON CONFLICT DO NOTHING`,
      [now, now],
    )
    return new PostgresTrackingStore(db, options.ownsDb ?? false)
  }

  async #experimentRow(experimentId: string, q: PgExecutor = this.#db): Promise<ExperimentRow> {
    const key = experimentKey(experimentId)
    const row = key === undefined ? undefined : await q.get<ExperimentRow>('SELECT * FROM experiments WHERE experiment_id = ?', [key])
    if (!row) throw notFound(`No Experiment with id=${experimentId} exists`)
    return row
  }

  async #withTags(row: ExperimentRow): Promise<Experiment> {
    const tags = await this.#db.all<KeyValueRow>('SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key', [row.experiment_id])
    return toExperiment(row, tags.map(toTag))
  }

  async #runRow(runId: string, q: PgExecutor = this.#db): Promise<RunRow> {
    const row = await q.get<RunRow>('SELECT * FROM runs WHERE run_uuid = ?', [runId])
    if (!row) throw notFound(`Run with id=${runId} not found`)
    return row
  }

  async #activeRunRow(runId: string, q: PgExecutor = this.#db): Promise<RunRow> {
    const row = await this.#runRow(runId, q)
    requireActive(runId, row.lifecycle_stage)
    return row
  }

  async createExperiment(input: NewExperiment): Promise<Experiment> {
    try {
      const id = await this.#db.tx(async (q) => {
        const row = await q.get<{ experiment_id: number }>(
          'INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES (?, ?, ?, ?) RETURNING experiment_id',
          [input.name, input.artifactLocation ?? '', input.time, input.time],
        )
        const id = row!.experiment_id
        if (input.artifactLocation === undefined) {
          await q.run('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?', [`mlflow-artifacts:/${id}`, id])
        }
        for (const t of input.tags) {
          await q.run(
            'INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value',
            [id, t.key, t.value],
          )
        }
        return id
      })
      return this.#withTags(await this.#experimentRow(String(id)))
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Experiment '${input.name}' already exists.`, { cause: err })
      throw err
    }
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.#withTags(await this.#experimentRow(experimentId))
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const row = await this.#db.get<ExperimentRow>("SELECT * FROM experiments WHERE name = ? ORDER BY lifecycle_stage = 'active' DESC LIMIT 1", [name])
    if (!row) throw notFound(`Could not find experiment with name '${name}'`)
    return this.#withTags(row)
  }

  async searchExperiments(query: SearchQuery): Promise<Page<Experiment>> {
    const where = whereSql(experimentTarget, query.clauses)
    const order = orderSql(experimentTarget, query.orderBy)
    const offset = decodePageToken(query.pageToken)
    const sql = `SELECT e.* FROM experiments e ${order.joins.sql}
      WHERE e.lifecycle_stage ${lifecycleFilter[query.viewType]} ${where.sql ? `AND ${where.sql}` : ''}
      ORDER BY ${[...order.orderBy, 'e.creation_time DESC', 'e.experiment_id ASC'].join(', ')} LIMIT ? OFFSET ?`
    const rows = await this.#db.all<ExperimentRow>(sql, [...order.joins.params, ...where.params, query.maxResults + 1, offset])
    const page = rows.slice(0, query.maxResults)
    const tags = groupByOwner(
      await this.#db.all<KeyValueRow>(
        'SELECT CAST(experiment_id AS TEXT) AS owner, key, value FROM experiment_tags WHERE experiment_id = ANY(?::bigint[]) ORDER BY key',
        [page.map((r) => r.experiment_id)],
      ),
    )
    return {
      items: page.map((r) => toExperiment(r, (tags.get(String(r.experiment_id)) ?? []).map(toTag))),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }

  async renameExperiment(experimentId: string, newName: string, time: number): Promise<void> {
    const row = await this.#experimentRow(experimentId)
    if (row.lifecycle_stage !== 'active') throw invalidParameter('Cannot rename a non-active experiment.')
    try {
      await this.#db.run('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?', [newName, time, row.experiment_id])
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Experiment '${newName}' already exists.`, { cause: err })
      throw err
    }
  }

  async setExperimentLifecycle(experimentId: string, stage: LifecycleStage, time: number): Promise<void> {
    const row = await this.#experimentRow(experimentId)
    if (stage === 'deleted' && row.experiment_id === 0) throw invalidParameter('Cannot delete the default experiment 0.')
    await this.#db.tx(async (q) => {
      await q.run('UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?', [stage, time, row.experiment_id])
      await q.run('UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ?', [
        stage,
        stage === 'deleted' ? time : null,
        row.experiment_id,
      ])
    })
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    const row = await this.#experimentRow(experimentId)
    if (row.lifecycle_stage !== 'active') throw invalidParameter(`The experiment ${experimentId} must be in the 'active' state.`)
    await this.#db.run(
      'INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value',
      [row.experiment_id, tag.key, tag.value],
    )
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const row = await this.#experimentRow(experimentId)
    const changes = await this.#db.run('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?', [row.experiment_id, key])
    if (changes === 0) throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`)
  }

  async createRun(input: NewRun): Promise<Run> {
    const experiment = await this.#experimentRow(input.experimentId)
    if (experiment.lifecycle_stage !== 'active') {
      throw invalidParameter(`The experiment ${input.experimentId} must be in the 'active' state. Current state is deleted.`)
    }
    const artifactUri = `${experiment.artifact_location.replace(/\/+$/, '')}/${input.runId}/artifacts`
    try {
      await this.#db.tx(async (q) => {
        await q.run(
          `INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, artifact_uri)
           VALUES (?, ?, ?, ?, 'RUNNING', ?, ?)`,
          [input.runId, input.runName, experiment.experiment_id, input.userId, input.startTime, artifactUri],
        )
        for (const t of input.tags) await q.run(upsertTag, [input.runId, t.key, t.value])
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Run '${input.runId}' already exists.`, { cause: err })
      throw err
    }
    return this.getRun(input.runId)
  }

  async getRun(runId: string): Promise<Run> {
    return (await loadRuns(this.#db, [await this.#runRow(runId)]))[0] as Run
  }

  async updateRun(runId: string, patch: RunPatch): Promise<RunInfo> {
    await this.#activeRunRow(runId)
    // COALESCE keeps a column as it is when the patch leaves that field out.
    await this.#db.tx(async (q) => {
      await q.run('UPDATE runs SET status = COALESCE(?, status), end_time = COALESCE(?, end_time), name = COALESCE(?, name) WHERE run_uuid = ?', [
        patch.status ?? null,
        patch.endTime ?? null,
        patch.runName ?? null,
        runId,
      ])
      if (patch.runName !== undefined) await q.run(upsertTag, [runId, 'mlflow.runName', patch.runName])
    })
    return toRunInfo(await this.#runRow(runId))
  }

  async setRunLifecycle(runId: string, stage: LifecycleStage, time: number): Promise<void> {
    await this.#runRow(runId)
    await this.#db.run('UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?', [stage, stage === 'deleted' ? time : null, runId])
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    // Metrics alone (log_metric, most log_batch calls) are one statement and one round trip, the run's
    // check included: atomic without BEGIN/COMMIT, and nothing is written unless the run is active.
    if (batch.params.length === 0 && batch.tags.length === 0 && batch.metrics.length > 0) {
      const stage = await insertMetrics(this.#db, runId, batch.metrics)
      if (stage === undefined) throw notFound(`Run with id=${runId} not found`)
      requireActive(runId, stage)
      return
    }
    await this.#activeRunRow(runId)
    if (batch.params.length === 0 && batch.tags.length === 0) return
    await this.#db.tx(async (q) => {
      for (const p of batch.params) {
        const existing = await q.get<{ value: string }>('SELECT value FROM params WHERE run_uuid = ? AND key = ?', [runId, p.key])
        if (existing && existing.value !== p.value) {
          throw invalidParameter(
            `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${existing.value}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
          )
        }
        if (!existing) await q.run('INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [runId, p.key, p.value])
      }
      if (batch.metrics.length > 0) await insertMetrics(q, runId, batch.metrics)
      for (const t of batch.tags) {
        await q.run(upsertTag, [runId, t.key, t.value])
        if (t.key === 'mlflow.runName') await q.run('UPDATE runs SET name = ? WHERE run_uuid = ?', [t.value, runId])
      }
    })
  }

  async deleteRunTag(runId: string, key: string): Promise<void> {
    await this.#activeRunRow(runId)
    const changes = await this.#db.run('DELETE FROM tags WHERE run_uuid = ? AND key = ?', [runId, key])
    if (changes === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`)
  }

  async logInputs(runId: string, datasets: readonly DatasetInput[], modelIds: readonly string[]): Promise<void> {
    const run = await this.#activeRunRow(runId)
    await this.#db.tx(async (q) => {
      for (const input of datasets) {
        const d = input.dataset
        await q.run(
          `INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (experiment_id, name, digest) DO NOTHING`,
          [run.experiment_id, d.name, d.digest, d.sourceType, d.source, d.schema ?? null, d.profile ?? null],
        )
        const dataset = await q.get<{ dataset_id: number }>('SELECT dataset_id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?', [
          run.experiment_id,
          d.name,
          d.digest,
        ])
        await q.run('INSERT INTO run_inputs (run_uuid, dataset_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [runId, dataset!.dataset_id])
        const runInput = await q.get<{ input_id: number }>('SELECT input_id FROM run_inputs WHERE run_uuid = ? AND dataset_id = ?', [
          runId,
          dataset!.dataset_id,
        ])
        for (const t of input.tags) {
          await q.run('INSERT INTO run_input_tags (input_id, key, value) VALUES (?, ?, ?) ON CONFLICT (input_id, key) DO UPDATE SET value = excluded.value', [
            runInput!.input_id,
            t.key,
            t.value,
          ])
        }
      }
      for (const id of modelIds) {
        await q.run("INSERT INTO run_model_io (run_uuid, direction, model_id) VALUES (?, 'input', ?) ON CONFLICT DO NOTHING", [runId, id])
      }
    })
  }

  async logOutputs(runId: string, models: readonly { modelId: string; step: number }[]): Promise<void> {
    await this.#activeRunRow(runId)
    await this.#db.tx(async (q) => {
      for (const m of models) {
        await q.run(
          `INSERT INTO run_model_io (run_uuid, direction, model_id, step) VALUES (?, 'output', ?, ?)
           ON CONFLICT (run_uuid, direction, model_id) DO UPDATE SET step = excluded.step`,
          [runId, m.modelId, m.step],
        )
      }
    })
  }

  async getMetricHistory(runId: string, key: string, maxResults?: number, pageToken?: string): Promise<Page<Metric>> {
    await this.#runRow(runId)
    const offset = decodePageToken(pageToken)
    // A history can be 100,000 points: the run id and key columns (the asked ones on every row) stay
    // out of the rows the driver parses.
    const rows = await this.#db.all<Omit<MetricRow, 'run_uuid' | 'key'>>(
      `SELECT value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest FROM metrics
       WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp, seq LIMIT ? OFFSET ?`,
      [runId, key, maxResults === undefined ? null : maxResults + 1, offset],
    )
    const hasMore = maxResults !== undefined && rows.length > maxResults
    return {
      items: (hasMore ? rows.slice(0, maxResults) : rows).map((row) => toMetric({ ...row, run_uuid: runId, key })),
      nextPageToken: hasMore ? encodePageToken(offset + maxResults) : undefined,
    }
  }

  async getMetricHistoryJson(runId: string, key: string, maxResults?: number, pageToken?: string): Promise<MetricHistoryJson> {
    await this.#runRow(runId)
    const offset = decodePageToken(pageToken)
    // Read in the history index's order (step, timestamp, seq), never scanned and sorted: when one
    // run's history is most of the table (a benchmark's 100,000 points), the planner picks a scan
    // whose sort spills to disk — 222 ms instead of 125 ms measured for those points.
    const page = (await this.#db.tx(async (q) => {
      await q.run('SET LOCAL enable_seqscan = off')
      return q.get<{ json: string | null; n: string }>(metricHistoryJsonSql('postgres'), [JSON.stringify(key), runId, key, maxResults ?? null, offset])
    }))!
    const hasMore = maxResults !== undefined && (await this.#db.get(metricHistoryHasPointSql, [runId, key, offset + maxResults])) !== undefined
    return { json: `[${page.json ?? ''}]`, count: Number(page.n), nextPageToken: hasMore ? encodePageToken(offset + maxResults) : undefined }
  }

  async searchRuns(query: RunQuery): Promise<Page<Run>> {
    const experimentIds = query.experimentIds.map(experimentKey).filter((id) => id !== undefined)
    const where = whereSql(runTarget, query.clauses)
    const offset = decodePageToken(query.pageToken)
    const conditions = (part: SearchPart) => ({
      sql: `${part.where.sql ? `${part.where.sql} AND ` : ''}r.experiment_id = ANY(?::bigint[])
        AND r.lifecycle_stage ${lifecycleFilter[query.viewType]} ${where.sql ? `AND ${where.sql}` : ''}`,
      params: [...part.from.params, ...part.where.params, experimentIds, ...where.params],
    })
    const rows = await readParts(
      searchParts('runs', runTarget, query.orderBy),
      query.maxResults + 1,
      offset,
      (part, limit, skip) => {
        const c = conditions(part)
        const sql = `SELECT r.* FROM ${part.from.sql} WHERE ${c.sql}
          ORDER BY ${[...part.orderBy, 'r.start_time DESC', 'r.run_uuid ASC'].join(', ')} LIMIT ? OFFSET ?`
        return this.#db.all<RunRow>(sql, [...c.params, limit, skip])
      },
      async (part) => {
        const c = conditions(part)
        return (await this.#db.get<{ n: number }>(`SELECT count(*)::int AS n FROM ${part.from.sql} WHERE ${c.sql}`, c.params))?.n ?? 0
      },
    )
    return {
      items: await loadRuns(this.#db, rows.slice(0, query.maxResults)),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }

  async createLoggedModel(input: NewLoggedModel): Promise<LoggedModel> {
    const experiment = await this.#experimentRow(input.experimentId)
    if (experiment.lifecycle_stage !== 'active') throw invalidParameter(`The experiment ${input.experimentId} must be in the 'active' state.`)
    return this.#models.create(input, experiment.artifact_location)
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    return this.#models.get(modelId)
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus, time: number): Promise<LoggedModel> {
    return this.#models.finalize(modelId, status, time)
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.#models.delete(modelId)
  }

  async setLoggedModelTags(modelId: string, tags: readonly Tag[], time: number): Promise<void> {
    await this.#models.setTags(modelId, tags, time)
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.#models.deleteTag(modelId, key)
  }

  async logLoggedModelParams(modelId: string, params: readonly Tag[]): Promise<void> {
    await this.#models.logParams(modelId, params)
  }

  async searchLoggedModels(query: LoggedModelQuery): Promise<Page<LoggedModel>> {
    return this.#models.search(query)
  }

  async close(): Promise<void> {
    if (this.#ownsDb) await this.#db.close()
  }
}

/** Writes go to active runs only (MLflow's rule); `stage` is the run's lifecycle stage. */
function requireActive(runId: string, stage: string): void {
  if (stage !== 'active') throw invalidParameter(`The run ${runId} must be in the 'active' state. Current state is ${stage}.`)
}

/**
 * A batch's metrics in one statement whatever its size: the history rows in the batch's order (so
 * `seq` breaks ties as on SQLite), and each key's greatest (step, timestamp, value) into
 * latest_metrics, kept only when greater than the stored one, as MLflow's SQL store does. Rows are
 * written only when the run is active; the answer is the run's lifecycle stage, undefined when there
 * is no such run, so the caller can say which.
 */
async function insertMetrics(q: PgExecutor, runId: string, metrics: RunBatch['metrics']): Promise<string | undefined> {
  const columns = metrics.map((m) => metricValueColumns(m.value))
  const arrays = [
    metrics.map((m) => m.key),
    columns.map((c) => c.value),
    columns.map((c) => c.isNan),
    metrics.map((m) => m.timestamp),
    metrics.map((m) => m.step),
    metrics.map((m) => m.modelId ?? null),
    metrics.map((m) => m.datasetName ?? null),
    metrics.map((m) => m.datasetDigest ?? null),
  ]
  const row = await q.get<{ lifecycle_stage: string }>(
    `WITH r AS (SELECT lifecycle_stage FROM runs WHERE run_uuid = ?::text),
     b AS (
       SELECT * FROM unnest(?::text[], ?::float8[], ?::int[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[])
         WITH ORDINALITY AS b(key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest, ord)
       WHERE EXISTS (SELECT 1 FROM r WHERE lifecycle_stage = 'active')),
     history AS (
       INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest)
       SELECT ?::text, key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest FROM b ORDER BY ord),
     latest AS (
       INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step)
       SELECT DISTINCT ON (key) ?::text, key, value, is_nan, timestamp, step FROM b ORDER BY key, step DESC, timestamp DESC, value DESC, ord
       ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step
       WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value))
     SELECT lifecycle_stage FROM r`,
    [runId, ...arrays, runId, runId],
  )
  return row?.lifecycle_stage
}
