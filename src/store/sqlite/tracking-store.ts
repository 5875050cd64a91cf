import type { Database, Statement } from 'better-sqlite3'
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
  ViewType,
} from '../../tracking/entities.js'
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
import type { MetricSample, MetricSampleQuery, RunColumns, RunKeys, RunSummary, TrackingViews } from '../tracking-views.js'
import { openSqlite, type SqliteOptions } from './database.js'
import { SqliteLoggedModels } from './logged-models.js'
import { SqliteMetricWriter } from './metric-writer.js'
import { RunLoader } from './run-loader.js'
import { type ExperimentRow, type KeyValueRow, type RunRow, groupByOwner, toExperiment, toRunInfo, toTag } from './rows.js'
import { StatementCache } from './statement-cache.js'
import { SqliteTrackingViews } from './tracking-views.js'
import { type SearchPart, readParts, searchParts } from './search-pages.js'
import { decodePageToken, encodePageToken, orderSql, whereSql } from './search-sql.js'
import { runTarget, experimentTarget, lifecycleFilter } from './search-targets.js'

const isUniqueViolation = (err: unknown) => typeof err === 'object' && err !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE'

/** A metrics row as getMetricHistory reads it: value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest. */
type HistoryRow = [number, number, number, number, string | null, string | null, string | null]

/** TrackingStore on SQLite (better-sqlite3). Every write method is one transaction. */
export class SqliteTrackingStore implements TrackingStore, TrackingViews {
  readonly #db: Database
  readonly #ownsDb: boolean
  readonly #runs: RunLoader
  readonly #models: SqliteLoggedModels
  readonly #views: SqliteTrackingViews
  readonly #metrics: SqliteMetricWriter
  readonly #stmt: Record<string, Statement>
  readonly #searches: StatementCache

  /** A path opens (and later closes) its own database; an open Database is shared and left open. */
  constructor(pathOrDb: string | Database, options: SqliteOptions = { durability: 'full' }) {
    this.#ownsDb = typeof pathOrDb === 'string'
    this.#db = typeof pathOrDb === 'string' ? openSqlite(pathOrDb, options) : pathOrDb
    this.#runs = new RunLoader(this.#db)
    this.#models = new SqliteLoggedModels(this.#db)
    this.#views = new SqliteTrackingViews(this.#db)
    this.#metrics = new SqliteMetricWriter(this.#db)
    this.#searches = new StatementCache(this.#db)
    const db = this.#db
    this.#stmt = {
      experiment: db.prepare('SELECT * FROM experiments WHERE experiment_id = ?'),
      experimentTags: db.prepare('SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key'),
      run: db.prepare('SELECT * FROM runs WHERE run_uuid = ?'),
      param: db.prepare('SELECT value FROM params WHERE run_uuid = ? AND key = ?'),
      insertParam: db.prepare('INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      upsertTag: db.prepare('INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value'),
      renameRunFromTag: db.prepare('UPDATE runs SET name = ? WHERE run_uuid = ?'),
      history: db
        .prepare(
          `SELECT value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest FROM metrics
           WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp, seq LIMIT ? OFFSET ?`,
        )
        .raw(true),
      historyJson: db.prepare(metricHistoryJsonSql('sqlite')),
      historyHasPoint: db.prepare(metricHistoryHasPointSql),
    }
    this.#ensureDefaultExperiment()
  }

  // Clients with no experiment configured send experiment_id "0" (docs/protocols.md §1.2).
  #ensureDefaultExperiment(): void {
    const now = Date.now()
    this.#db
      .prepare(
        `INSERT INTO experiments (experiment_id, name, artifact_location, creation_time, last_update_time)
         VALUES (0, 'Default', 'mlflow-artifacts:/0', ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(now, now)
  }

  #experimentRow(experimentId: string): ExperimentRow {
    const row = /^\d+$/.test(experimentId) ? (this.#stmt.experiment!.get(Number(experimentId)) as ExperimentRow | undefined) : undefined
    if (!row) throw notFound(`No Experiment with id=${experimentId} exists`)
    return row
  }

  #withTags(row: ExperimentRow): Experiment {
    return toExperiment(row, (this.#stmt.experimentTags!.all(row.experiment_id) as KeyValueRow[]).map(toTag))
  }

  #runRow(runId: string): RunRow {
    const row = this.#stmt.run!.get(runId) as RunRow | undefined
    if (!row) throw notFound(`Run with id=${runId} not found`)
    return row
  }

  #activeRunRow(runId: string): RunRow {
    const row = this.#runRow(runId)
    if (row.lifecycle_stage !== 'active') {
      throw invalidParameter(`The run ${runId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`)
    }
    return row
  }

  async createExperiment(input: NewExperiment): Promise<Experiment> {
    const create = this.#db.transaction(() => {
      const info = this.#db
        .prepare('INSERT INTO experiments (name, artifact_location, creation_time, last_update_time) VALUES (?, ?, ?, ?)')
        .run(input.name, input.artifactLocation ?? '', input.time, input.time)
      const id = Number(info.lastInsertRowid)
      if (input.artifactLocation === undefined) {
        this.#db.prepare('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?').run(`mlflow-artifacts:/${id}`, id)
      }
      const tag = this.#db.prepare('INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)')
      for (const t of input.tags) tag.run(id, t.key, t.value)
      return id
    })
    try {
      return this.#withTags(this.#experimentRow(String(create())))
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Experiment '${input.name}' already exists.`, { cause: err })
      throw err
    }
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.#withTags(this.#experimentRow(experimentId))
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const row = this.#db.prepare("SELECT * FROM experiments WHERE name = ? ORDER BY lifecycle_stage = 'active' DESC LIMIT 1").get(name) as
      | ExperimentRow
      | undefined
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
    const rows = this.#searches.get(sql).all(...order.joins.params, ...where.params, query.maxResults + 1, offset) as ExperimentRow[]
    const page = rows.slice(0, query.maxResults)
    const tags = groupByOwner(
      this.#db
        .prepare(
          `SELECT CAST(experiment_id AS TEXT) AS owner, key, value FROM experiment_tags WHERE experiment_id IN (SELECT value FROM json_each(?)) ORDER BY key`,
        )
        .all(JSON.stringify(page.map((r) => r.experiment_id))) as KeyValueRow[],
    )
    return {
      items: page.map((r) => toExperiment(r, (tags.get(String(r.experiment_id)) ?? []).map(toTag))),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }

  async renameExperiment(experimentId: string, newName: string, time: number): Promise<void> {
    const row = this.#experimentRow(experimentId)
    if (row.lifecycle_stage !== 'active') throw invalidParameter('Cannot rename a non-active experiment.')
    try {
      this.#db.prepare('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?').run(newName, time, row.experiment_id)
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Experiment '${newName}' already exists.`, { cause: err })
      throw err
    }
  }

  async setExperimentLifecycle(experimentId: string, stage: LifecycleStage, time: number): Promise<void> {
    const row = this.#experimentRow(experimentId)
    if (stage === 'deleted' && row.experiment_id === 0) throw invalidParameter('Cannot delete the default experiment 0.')
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?').run(stage, time, row.experiment_id)
      this.#db
        .prepare('UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ?')
        .run(stage, stage === 'deleted' ? time : null, row.experiment_id)
    })()
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    const row = this.#experimentRow(experimentId)
    if (row.lifecycle_stage !== 'active') throw invalidParameter(`The experiment ${experimentId} must be in the 'active' state.`)
    this.#db
      .prepare('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value')
      .run(row.experiment_id, tag.key, tag.value)
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const row = this.#experimentRow(experimentId)
    const info = this.#db.prepare('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?').run(row.experiment_id, key)
    if (info.changes === 0) throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`)
  }

  async createRun(input: NewRun): Promise<Run> {
    const experiment = this.#experimentRow(input.experimentId)
    if (experiment.lifecycle_stage !== 'active') {
      throw invalidParameter(`The experiment ${input.experimentId} must be in the 'active' state. Current state is deleted.`)
    }
    const artifactUri = `${experiment.artifact_location.replace(/\/+$/, '')}/${input.runId}/artifacts`
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, artifact_uri)
           VALUES (?, ?, ?, ?, 'RUNNING', ?, ?)`,
        )
        .run(input.runId, input.runName, experiment.experiment_id, input.userId, input.startTime, artifactUri)
      for (const t of input.tags) this.#stmt.upsertTag!.run(input.runId, t.key, t.value)
    })()
    return this.getRun(input.runId)
  }

  async getRun(runId: string): Promise<Run> {
    return this.#runs.load([this.#runRow(runId)])[0] as Run
  }

  async updateRun(runId: string, patch: RunPatch): Promise<RunInfo> {
    this.#activeRunRow(runId)
    // COALESCE keeps a column as it is when the patch leaves that field out.
    this.#db.transaction(() => {
      this.#db
        .prepare('UPDATE runs SET status = COALESCE(?, status), end_time = COALESCE(?, end_time), name = COALESCE(?, name) WHERE run_uuid = ?')
        .run(patch.status ?? null, patch.endTime ?? null, patch.runName ?? null, runId)
      if (patch.runName !== undefined) this.#stmt.upsertTag!.run(runId, 'mlflow.runName', patch.runName)
    })()
    return toRunInfo(this.#runRow(runId))
  }

  async setRunLifecycle(runId: string, stage: LifecycleStage, time: number): Promise<void> {
    this.#runRow(runId)
    this.#db.prepare('UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?').run(stage, stage === 'deleted' ? time : null, runId)
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    this.#activeRunRow(runId)
    const s = this.#stmt
    this.#db.transaction(() => {
      for (const p of batch.params) {
        const existing = s.param!.get(runId, p.key) as { value: string } | undefined
        if (existing && existing.value !== p.value) {
          throw invalidParameter(
            `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${existing.value}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
          )
        }
        if (!existing) s.insertParam!.run(runId, p.key, p.value)
      }
      this.#metrics.write(runId, batch.metrics)
      for (const t of batch.tags) {
        s.upsertTag!.run(runId, t.key, t.value)
        if (t.key === 'mlflow.runName') s.renameRunFromTag!.run(t.value, runId)
      }
    })()
  }

  async deleteRunTag(runId: string, key: string): Promise<void> {
    this.#activeRunRow(runId)
    const info = this.#db.prepare('DELETE FROM tags WHERE run_uuid = ? AND key = ?').run(runId, key)
    if (info.changes === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`)
  }

  async logInputs(runId: string, datasets: readonly DatasetInput[], modelIds: readonly string[]): Promise<void> {
    const run = this.#activeRunRow(runId)
    this.#db.transaction(() => {
      for (const input of datasets) {
        const d = input.dataset
        this.#db
          .prepare(
            `INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (experiment_id, name, digest) DO NOTHING`,
          )
          .run(run.experiment_id, d.name, d.digest, d.sourceType, d.source, d.schema ?? null, d.profile ?? null)
        const { dataset_id } = this.#db
          .prepare('SELECT dataset_id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?')
          .get(run.experiment_id, d.name, d.digest) as { dataset_id: number }
        this.#db.prepare('INSERT INTO run_inputs (run_uuid, dataset_id) VALUES (?, ?) ON CONFLICT DO NOTHING').run(runId, dataset_id)
        const { input_id } = this.#db.prepare('SELECT input_id FROM run_inputs WHERE run_uuid = ? AND dataset_id = ?').get(runId, dataset_id) as {
          input_id: number
        }
        const tag = this.#db.prepare('INSERT OR REPLACE INTO run_input_tags (input_id, key, value) VALUES (?, ?, ?)')
        for (const t of input.tags) tag.run(input_id, t.key, t.value)
      }
      const model = this.#db.prepare("INSERT INTO run_model_io (run_uuid, direction, model_id) VALUES (?, 'input', ?) ON CONFLICT DO NOTHING")
      for (const id of modelIds) model.run(runId, id)
    })()
  }

  async logOutputs(runId: string, models: readonly { modelId: string; step: number }[]): Promise<void> {
    this.#activeRunRow(runId)
    const insert = this.#db.prepare(
      "INSERT INTO run_model_io (run_uuid, direction, model_id, step) VALUES (?, 'output', ?, ?) ON CONFLICT DO UPDATE SET step = excluded.step",
    )
    this.#db.transaction(() => {
      for (const m of models) insert.run(runId, m.modelId, m.step)
    })()
  }

  async getMetricHistory(runId: string, key: string, maxResults?: number, pageToken?: string): Promise<Page<Metric>> {
    this.#runRow(runId)
    const offset = decodePageToken(pageToken)
    const limit = maxResults ?? -1
    // A history can be 100,000 points: rows come as arrays without the run id and key columns (every
    // row has the asked ones), which halves the time better-sqlite3 spends building them.
    const rows = this.#stmt.history!.all(runId, key, limit === -1 ? -1 : limit + 1, offset) as HistoryRow[]
    const hasMore = limit !== -1 && rows.length > limit
    return {
      items: (hasMore ? rows.slice(0, limit) : rows).map(([value, isNan, timestamp, step, modelId, datasetName, datasetDigest]) => ({
        key,
        value: isNan ? Number.NaN : value,
        timestamp,
        step,
        modelId: modelId ?? undefined,
        datasetName: datasetName ?? undefined,
        datasetDigest: datasetDigest ?? undefined,
        runId,
      })),
      nextPageToken: hasMore ? encodePageToken(offset + limit) : undefined,
    }
  }

  async getMetricHistoryJson(runId: string, key: string, maxResults?: number, pageToken?: string): Promise<MetricHistoryJson> {
    this.#runRow(runId)
    const offset = decodePageToken(pageToken)
    const page = this.#stmt.historyJson!.get(JSON.stringify(key), runId, key, maxResults ?? -1, offset) as { json: string | null; n: number }
    const hasMore = maxResults !== undefined && this.#stmt.historyHasPoint!.get(runId, key, offset + maxResults) !== undefined
    return { json: `[${page.json ?? ''}]`, count: page.n, nextPageToken: hasMore ? encodePageToken(offset + maxResults) : undefined }
  }

  async searchRuns(query: RunQuery): Promise<Page<Run>> {
    const page = await this.#searchRunRows(query)
    return { items: this.#runs.load(page.items), nextPageToken: page.nextPageToken }
  }

  async searchRunColumns(query: RunQuery, columns: RunColumns): Promise<Page<RunSummary>> {
    const page = await this.#searchRunRows(query)
    return { items: page.items.length === 0 ? [] : this.#views.summarize(page.items, columns), nextPageToken: page.nextPageToken }
  }

  async listRunKeys(experimentIds: readonly string[], viewType: ViewType): Promise<RunKeys> {
    return this.#views.listRunKeys(experimentIds, viewType)
  }

  async sampleMetricHistory(query: MetricSampleQuery): Promise<MetricSample> {
    this.#runRow(query.runId)
    return this.#views.sampleMetricHistory(query)
  }

  async #searchRunRows(query: RunQuery): Promise<Page<RunRow>> {
    const experimentIds = JSON.stringify(query.experimentIds.filter((id) => /^\d+$/.test(id)).map(Number))
    const where = whereSql(runTarget, query.clauses)
    const offset = decodePageToken(query.pageToken)
    const conditions = (part: SearchPart) => ({
      sql: `${part.where.sql ? `${part.where.sql} AND ` : ''}r.experiment_id IN (SELECT value FROM json_each(?))
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
        return this.#searches.get(sql).all(...c.params, limit, skip) as RunRow[]
      },
      (part) => {
        const c = conditions(part)
        return (this.#searches.get(`SELECT count(*) AS n FROM ${part.from.sql} WHERE ${c.sql}`).get(...c.params) as { n: number }).n
      },
    )
    return {
      items: rows.slice(0, query.maxResults),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }

  async createLoggedModel(input: NewLoggedModel): Promise<LoggedModel> {
    const experiment = this.#experimentRow(input.experimentId)
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
    this.#models.delete(modelId)
  }

  async setLoggedModelTags(modelId: string, tags: readonly Tag[], time: number): Promise<void> {
    this.#models.setTags(modelId, tags, time)
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    this.#models.deleteTag(modelId, key)
  }

  async logLoggedModelParams(modelId: string, params: readonly Tag[]): Promise<void> {
    this.#models.logParams(modelId, params)
  }

  async searchLoggedModels(query: LoggedModelQuery): Promise<Page<LoggedModel>> {
    return this.#models.search(query)
  }

  async close(): Promise<void> {
    if (this.#ownsDb) this.#db.close()
  }
}
