import { invalidParameter, notFound } from '../../errors.js'
import type { LoggedModel, LoggedModelStatus, Page, Tag } from '../../tracking/entities.js'
import { type KeyValueRow, type LoggedModelRow, type MetricRow, groupByOwner, toLoggedModel, toMetric, toTag } from '../sqlite/rows.js'
import { decodePageToken, encodePageToken, orderSql, whereSql } from '../sqlite/search-sql.js'
import type { LoggedModelQuery, NewLoggedModel } from '../tracking-store.js'
import type { PgDatabase, PgExecutor } from './database.js'
import { loggedModelTarget } from '../sqlite/search-targets.js'

/** MLflow 3 logged models, the part of the PostgreSQL tracking store that holds them. */
export class PostgresLoggedModels {
  readonly #db: PgDatabase

  constructor(db: PgDatabase) {
    this.#db = db
  }

  async #row(modelId: string, q: PgExecutor = this.#db): Promise<LoggedModelRow> {
    const row = await q.get<LoggedModelRow>("SELECT * FROM logged_models WHERE model_id = ? AND lifecycle_stage = 'active'", [modelId])
    if (!row) throw notFound(`Logged model with ID '${modelId}' not found.`)
    return row
  }

  async #load(rows: readonly LoggedModelRow[]): Promise<LoggedModel[]> {
    if (rows.length === 0) return []
    const ids = [rows.map((r) => r.model_id)]
    const [tagRows, paramRows, metricRows] = await Promise.all([
      this.#db.all<KeyValueRow>('SELECT model_id AS owner, key, value FROM logged_model_tags WHERE model_id = ANY(?::text[]) ORDER BY key', ids),
      this.#db.all<KeyValueRow>('SELECT model_id AS owner, key, value FROM logged_model_params WHERE model_id = ANY(?::text[]) ORDER BY key', ids),
      this.#db.all<MetricRow & { owner: string }>(
        `SELECT model_id AS owner, run_uuid, key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest
         FROM metrics WHERE model_id = ANY(?::text[]) ORDER BY seq`,
        ids,
      ),
    ])
    const tags = groupByOwner(tagRows)
    const params = groupByOwner(paramRows)
    const metrics = groupByOwner(metricRows)
    return rows.map((r) =>
      toLoggedModel(r, (tags.get(r.model_id) ?? []).map(toTag), (params.get(r.model_id) ?? []).map(toTag), (metrics.get(r.model_id) ?? []).map(toMetric)),
    )
  }

  async create(input: NewLoggedModel, experimentArtifactLocation: string): Promise<LoggedModel> {
    const artifactUri = `${experimentArtifactLocation.replace(/\/+$/, '')}/models/${input.modelId}/artifacts`
    await this.#db.tx(async (q) => {
      await q.run(
        `INSERT INTO logged_models (model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id,
           creation_timestamp_ms, last_updated_timestamp_ms) VALUES (?, ?, ?, ?, 'LOGGED_MODEL_PENDING', ?, ?, ?, ?)`,
        [input.modelId, Number(input.experimentId), input.name, artifactUri, input.modelType ?? null, input.sourceRunId ?? null, input.time, input.time],
      )
      await this.#insertParams(q, input.modelId, input.params)
      await this.#upsertTags(q, input.modelId, input.tags)
    })
    return this.get(input.modelId)
  }

  async get(modelId: string): Promise<LoggedModel> {
    return (await this.#load([await this.#row(modelId)]))[0] as LoggedModel
  }

  async finalize(modelId: string, status: LoggedModelStatus, time: number): Promise<LoggedModel> {
    await this.#row(modelId)
    await this.#db.run('UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?', [status, time, modelId])
    return this.get(modelId)
  }

  async delete(modelId: string): Promise<void> {
    await this.#row(modelId)
    await this.#db.run("UPDATE logged_models SET lifecycle_stage = 'deleted' WHERE model_id = ?", [modelId])
  }

  async setTags(modelId: string, tags: readonly Tag[], time: number): Promise<void> {
    await this.#row(modelId)
    await this.#db.tx(async (q) => {
      await this.#upsertTags(q, modelId, tags)
      await q.run('UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?', [time, modelId])
    })
  }

  async deleteTag(modelId: string, key: string): Promise<void> {
    await this.#row(modelId)
    const changes = await this.#db.run('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?', [modelId, key])
    if (changes === 0) throw notFound(`No tag with key '${key}' on logged model '${modelId}'`)
  }

  async logParams(modelId: string, params: readonly Tag[]): Promise<void> {
    await this.#row(modelId)
    await this.#db.tx((q) => this.#insertParams(q, modelId, params))
  }

  async search(query: LoggedModelQuery): Promise<Page<LoggedModel>> {
    const where = whereSql(loggedModelTarget, query.clauses)
    const order = orderSql(loggedModelTarget, query.orderBy)
    const offset = decodePageToken(query.pageToken)
    const sql = `SELECT m.* FROM logged_models m ${order.joins.sql}
      WHERE m.lifecycle_stage = 'active' AND m.experiment_id = ANY(?::bigint[]) ${where.sql ? `AND ${where.sql}` : ''}
      ORDER BY ${[...order.orderBy, 'm.creation_timestamp_ms DESC', 'm.model_id ASC'].join(', ')} LIMIT ? OFFSET ?`
    const experimentIds = query.experimentIds.filter((id) => /^\d{1,18}$/.test(id)).map(Number)
    const rows = await this.#db.all<LoggedModelRow>(sql, [...order.joins.params, experimentIds, ...where.params, query.maxResults + 1, offset])
    return {
      items: await this.#load(rows.slice(0, query.maxResults)),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }

  async #insertParams(q: PgExecutor, modelId: string, params: readonly Tag[]): Promise<void> {
    for (const p of params) {
      const existing = await q.get<{ value: string }>('SELECT value FROM logged_model_params WHERE model_id = ? AND key = ?', [modelId, p.key])
      if (existing && existing.value !== p.value)
        throw invalidParameter(`Changing param values is not allowed. Param '${p.key}' of logged model '${modelId}' is already '${existing.value}'.`)
      if (!existing) await q.run('INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [modelId, p.key, p.value])
    }
  }

  async #upsertTags(q: PgExecutor, modelId: string, tags: readonly Tag[]): Promise<void> {
    for (const t of tags) {
      await q.run('INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value', [
        modelId,
        t.key,
        t.value,
      ])
    }
  }
}
