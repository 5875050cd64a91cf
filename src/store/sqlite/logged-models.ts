import type { Database } from 'better-sqlite3'
import { invalidParameter, notFound } from '../../errors.js'
import type { LoggedModel, LoggedModelStatus, Page, Tag } from '../../tracking/entities.js'
import type { LoggedModelQuery, NewLoggedModel } from '../tracking-store.js'
import { type KeyValueRow, type LoggedModelRow, type MetricRow, groupByOwner, toLoggedModel, toMetric, toTag } from './rows.js'
import { decodePageToken, encodePageToken, orderSql, whereSql } from './search-sql.js'
import { loggedModelTarget } from './search-targets.js'

/** MLflow 3 logged models (docs/protocols.md §1.8), the part of the SQLite tracking store that holds them. */
export class SqliteLoggedModels {
  readonly #db: Database

  constructor(db: Database) {
    this.#db = db
  }

  #row(modelId: string): LoggedModelRow {
    const row = this.#db.prepare("SELECT * FROM logged_models WHERE model_id = ? AND lifecycle_stage = 'active'").get(modelId) as LoggedModelRow | undefined
    if (!row) throw notFound(`Logged model with ID '${modelId}' not found.`)
    return row
  }

  #load(rows: readonly LoggedModelRow[]): LoggedModel[] {
    if (rows.length === 0) return []
    const ids = JSON.stringify(rows.map((r) => r.model_id))
    const inIds = 'IN (SELECT value FROM json_each(?))'
    const tags = groupByOwner(
      this.#db.prepare(`SELECT model_id AS owner, key, value FROM logged_model_tags WHERE model_id ${inIds} ORDER BY key`).all(ids) as KeyValueRow[],
    )
    const params = groupByOwner(
      this.#db.prepare(`SELECT model_id AS owner, key, value FROM logged_model_params WHERE model_id ${inIds} ORDER BY key`).all(ids) as KeyValueRow[],
    )
    const metrics = groupByOwner(
      this.#db
        .prepare(
          `SELECT model_id AS owner, run_uuid, key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest
           FROM metrics WHERE model_id ${inIds} ORDER BY seq`,
        )
        .all(ids) as (MetricRow & { owner: string })[],
    )
    return rows.map((r) =>
      toLoggedModel(r, (tags.get(r.model_id) ?? []).map(toTag), (params.get(r.model_id) ?? []).map(toTag), (metrics.get(r.model_id) ?? []).map(toMetric)),
    )
  }

  create(input: NewLoggedModel, experimentArtifactLocation: string): LoggedModel {
    const artifactUri = `${experimentArtifactLocation.replace(/\/+$/, '')}/models/${input.modelId}/artifacts`
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO logged_models (model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id,
             creation_timestamp_ms, last_updated_timestamp_ms) VALUES (?, ?, ?, ?, 'LOGGED_MODEL_PENDING', ?, ?, ?, ?)`,
        )
        .run(input.modelId, Number(input.experimentId), input.name, artifactUri, input.modelType ?? null, input.sourceRunId ?? null, input.time, input.time)
      this.#insertParams(input.modelId, input.params)
      this.#upsertTags(input.modelId, input.tags)
    })()
    return this.get(input.modelId)
  }

  get(modelId: string): LoggedModel {
    return this.#load([this.#row(modelId)])[0] as LoggedModel
  }

  finalize(modelId: string, status: LoggedModelStatus, time: number): LoggedModel {
    this.#row(modelId)
    this.#db.prepare('UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?').run(status, time, modelId)
    return this.get(modelId)
  }

  delete(modelId: string): void {
    this.#row(modelId)
    this.#db.prepare("UPDATE logged_models SET lifecycle_stage = 'deleted' WHERE model_id = ?").run(modelId)
  }

  setTags(modelId: string, tags: readonly Tag[], time: number): void {
    this.#row(modelId)
    this.#db.transaction(() => {
      this.#upsertTags(modelId, tags)
      this.#db.prepare('UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?').run(time, modelId)
    })()
  }

  deleteTag(modelId: string, key: string): void {
    this.#row(modelId)
    const info = this.#db.prepare('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?').run(modelId, key)
    if (info.changes === 0) throw notFound(`No tag with key '${key}' on logged model '${modelId}'`)
  }

  logParams(modelId: string, params: readonly Tag[]): void {
    this.#row(modelId)
    this.#db.transaction(() => this.#insertParams(modelId, params))()
  }

  search(query: LoggedModelQuery): Page<LoggedModel> {
    const where = whereSql(loggedModelTarget, query.clauses)
    const order = orderSql(loggedModelTarget, query.orderBy)
    const offset = decodePageToken(query.pageToken)
    const sql = `SELECT m.* FROM logged_models m ${order.joins.sql}
      WHERE m.lifecycle_stage = 'active' AND m.experiment_id IN (SELECT value FROM json_each(?)) ${where.sql ? `AND ${where.sql}` : ''}
      ORDER BY ${[...order.orderBy, 'm.creation_timestamp_ms DESC', 'm.model_id ASC'].join(', ')} LIMIT ? OFFSET ?`
    const experimentIds = JSON.stringify(query.experimentIds.filter((id) => /^\d+$/.test(id)).map(Number))
    const rows = this.#db.prepare(sql).all(...order.joins.params, experimentIds, ...where.params, query.maxResults + 1, offset) as LoggedModelRow[]
    return {
      items: this.#load(rows.slice(0, query.maxResults)),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }

  #insertParams(modelId: string, params: readonly Tag[]): void {
    const get = this.#db.prepare('SELECT value FROM logged_model_params WHERE model_id = ? AND key = ?')
    const insert = this.#db.prepare('INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?)')
    for (const p of params) {
      const existing = get.get(modelId, p.key) as { value: string } | undefined
      if (existing && existing.value !== p.value)
        throw invalidParameter(`Changing param values is not allowed. Param '${p.key}' of logged model '${modelId}' is already '${existing.value}'.`)
      if (!existing) insert.run(modelId, p.key, p.value)
    }
  }

  #upsertTags(modelId: string, tags: readonly Tag[]): void {
    const upsert = this.#db.prepare('INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value')
    for (const t of tags) upsert.run(modelId, t.key, t.value)
  }
}
