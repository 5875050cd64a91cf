import type { Database } from 'better-sqlite3'
import { alreadyExists, notFound } from '../../errors.js'
import {
  type ChangeContext,
  type DeliveryAttempt,
  type DirectDelivery,
  type DueDelivery,
  type NewDirectDelivery,
  type ModelAlias,
  type ModelVersion,
  type RegisteredModel,
  type RegistryEvent,
  type Stage,
  type Webhook,
  type WebhookDelivery,
  stages as allStages,
} from '../../registry/entities.js'
import type { Page, Tag } from '../../tracking/entities.js'
import type { DeliveryOutcome, EventQuery, NewModelVersion, NewRegisteredModel, NewWebhook, RegistrySearchQuery, RegistryStore } from '../registry-store.js'
import { openSqlite, type SqliteOptions } from './database.js'
import { SqliteModelVersions, promptFilter } from './model-versions.js'
import { type EventInput, SqliteRegistryEvents } from './registry-events.js'
import { type ModelVersionRow, type RegisteredModelRow, toRegisteredModel } from './registry-rows.js'
import { type KeyValueRow, groupByOwner, toTag } from './rows.js'
import { type SearchTarget, decodePageToken, encodePageToken, orderSql, whereSql } from './search-sql.js'

const modelTarget: SearchTarget = {
  alias: 'm',
  idColumn: 'model_key',
  attributes: { name: 'name', last_updated_timestamp: 'last_updated_time', creation_timestamp: 'creation_time' },
  tagTable: 'search_registered_model_tags',
}

const isUniqueViolation = (err: unknown) => typeof err === 'object' && err !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE'

const inJson = 'IN (SELECT value FROM json_each(?))'

/**
 * RegistryStore on SQLite: registered models, tags and aliases here; versions in
 * `model-versions.ts`; the event log and webhook queue in `registry-events.ts`. Shares the tracking store's connection when opened through
 * `server/open-backends.ts`, so both see one database and one writer. Every write method is one transaction
 * that also records its events (and queues webhook deliveries) through SqliteRegistryEvents.
 */
export class SqliteRegistryStore implements RegistryStore {
  readonly #db: Database
  readonly #ownsDb: boolean
  readonly #events: SqliteRegistryEvents
  readonly #versions: SqliteModelVersions

  constructor(pathOrDb: string | Database, options: SqliteOptions = { durability: 'full' }) {
    this.#ownsDb = typeof pathOrDb === 'string'
    this.#db = typeof pathOrDb === 'string' ? openSqlite(pathOrDb, options) : pathOrDb
    this.#events = new SqliteRegistryEvents(this.#db)
    this.#versions = new SqliteModelVersions(this.#db, this.#events)
  }

  #modelRow(name: string): RegisteredModelRow {
    const row = this.#db.prepare('SELECT * FROM registered_models WHERE name = ?').get(name) as RegisteredModelRow | undefined
    if (!row) throw notFound(`Registered Model with name=${name} not found`)
    return row
  }

  #write<T>(change: ChangeContext, body: (record: (e: EventInput) => void) => T): T {
    return this.#db.transaction(() => body((e) => this.#events.record(e, change)))()
  }

  #loadModels(rows: readonly RegisteredModelRow[]): RegisteredModel[] {
    if (rows.length === 0) return []
    const keys = JSON.stringify(rows.map((r) => r.model_key))
    const tags = groupByOwner(
      this.#db
        .prepare(`SELECT CAST(model_key AS TEXT) AS owner, key, value FROM registered_model_tags WHERE model_key ${inJson} ORDER BY key`)
        .all(keys) as KeyValueRow[],
    )
    const aliases = groupByOwner(
      this.#db
        .prepare(
          `SELECT CAST(a.model_key AS TEXT) AS owner, a.alias, v.version FROM registered_model_aliases a
           JOIN model_versions v ON v.version_key = a.version_key WHERE a.model_key ${inJson} ORDER BY a.alias`,
        )
        .all(keys) as (ModelAlias & { owner: string })[],
    )
    const latestRows = this.#versions.latestRows(
      rows.map((r) => r.model_key),
      allStages,
    )
    const latest = groupByOwner(this.#versions.load(latestRows).map((v, i) => ({ ...v, owner: String(latestRows[i]!.model_key) })))
    const stageOrder = (v: ModelVersion) => allStages.indexOf(v.currentStage)
    return rows.map((r) =>
      toRegisteredModel(
        r,
        (latest.get(String(r.model_key)) ?? []).map(({ owner: _owner, ...v }) => v).sort((a, b) => stageOrder(a) - stageOrder(b)),
        (tags.get(String(r.model_key)) ?? []).map(toTag),
        (aliases.get(String(r.model_key)) ?? []).map((a) => ({ alias: a.alias, version: a.version })),
      ),
    )
  }

  async createRegisteredModel(input: NewRegisteredModel, change: ChangeContext): Promise<RegisteredModel> {
    try {
      this.#write(change, (record) => {
        const info = this.#db
          .prepare('INSERT INTO registered_models (name, description, user_id, creation_time, last_updated_time) VALUES (?, ?, ?, ?, ?)')
          .run(input.name, input.description || null, input.userId || null, change.time, change.time)
        const modelKey = Number(info.lastInsertRowid)
        const tag = this.#db.prepare('INSERT OR REPLACE INTO registered_model_tags (model_key, key, value) VALUES (?, ?, ?)')
        for (const t of input.tags) tag.run(modelKey, t.key, t.value)
        record({ type: 'registered_model.created', modelKey, modelName: input.name, data: { description: input.description || undefined, tags: input.tags } })
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${input.name}) already exists.`, { cause: err })
      throw err
    }
    return this.getRegisteredModel(input.name)
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.#loadModels([this.#modelRow(name)])[0] as RegisteredModel
  }

  async searchRegisteredModels(query: RegistrySearchQuery): Promise<Page<RegisteredModel>> {
    const where = whereSql(modelTarget, query.clauses)
    const order = orderSql(modelTarget, query.orderBy)
    const offset = decodePageToken(query.pageToken)
    const sql = `SELECT m.* FROM registered_models m ${order.joins.sql}
      WHERE ${promptFilter(query.prompts, 'registered_model_tags', 'model_key', 'm.model_key')} ${where.sql ? `AND ${where.sql}` : ''}
      ORDER BY ${[...order.orderBy, 'm.name ASC'].join(', ')} LIMIT ? OFFSET ?`
    const rows = this.#db.prepare(sql).all(...order.joins.params, ...where.params, query.maxResults + 1, offset) as RegisteredModelRow[]
    return {
      items: this.#loadModels(rows.slice(0, query.maxResults)),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }

  async renameRegisteredModel(name: string, newName: string, change: ChangeContext): Promise<RegisteredModel> {
    const row = this.#modelRow(name)
    try {
      this.#write(change, (record) => {
        this.#db.prepare('UPDATE registered_models SET name = ?, last_updated_time = ? WHERE model_key = ?').run(newName, change.time, row.model_key)
        this.#events.renameModel(name, newName)
        record({ type: 'registered_model.renamed', modelKey: row.model_key, modelName: newName, data: { previous_name: name } })
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${newName}) already exists.`, { cause: err })
      throw err
    }
    return this.getRegisteredModel(newName)
  }

  async setRegisteredModelDescription(name: string, description: string, change: ChangeContext): Promise<RegisteredModel> {
    const row = this.#modelRow(name)
    this.#write(change, (record) => {
      this.#db
        .prepare('UPDATE registered_models SET description = ?, last_updated_time = ? WHERE model_key = ?')
        .run(description || null, change.time, row.model_key)
      record({ type: 'registered_model.description_set', modelKey: row.model_key, modelName: name, data: { description } })
    })
    return this.getRegisteredModel(name)
  }

  async deleteRegisteredModel(name: string, change: ChangeContext): Promise<void> {
    const row = this.#modelRow(name)
    this.#write(change, (record) => {
      const { n } = this.#db.prepare('SELECT count(*) AS n FROM model_versions WHERE model_key = ?').get(row.model_key) as { n: number }
      record({ type: 'registered_model.deleted', modelKey: row.model_key, modelName: name, data: { versions_deleted: n } })
      this.#db.prepare('DELETE FROM registered_models WHERE model_key = ?').run(row.model_key)
    })
  }

  async setRegisteredModelTag(name: string, tag: Tag, change: ChangeContext): Promise<void> {
    const row = this.#modelRow(name)
    this.#write(change, (record) => {
      this.#db
        .prepare('INSERT INTO registered_model_tags (model_key, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value')
        .run(row.model_key, tag.key, tag.value)
      record({ type: 'registered_model.tag_set', modelKey: row.model_key, modelName: name, data: { key: tag.key, value: tag.value } })
    })
  }

  async deleteRegisteredModelTag(name: string, key: string, change: ChangeContext): Promise<void> {
    const row = this.#modelRow(name)
    this.#write(change, (record) => {
      const info = this.#db.prepare('DELETE FROM registered_model_tags WHERE model_key = ? AND key = ?').run(row.model_key, key)
      if (info.changes > 0) record({ type: 'registered_model.tag_deleted', modelKey: row.model_key, modelName: name, data: { key } })
    })
  }

  async setAlias(name: string, alias: string, version: number, change: ChangeContext): Promise<void> {
    const target = this.#versions.row(name, version)
    this.#write(change, (record) => {
      const existing = this.#db
        .prepare(
          'SELECT v.version FROM registered_model_aliases a JOIN model_versions v ON v.version_key = a.version_key WHERE a.model_key = ? AND a.alias = ?',
        )
        .get(target.model_key, alias) as { version: number } | undefined
      if (existing?.version === version) return
      this.#db
        .prepare(
          'INSERT INTO registered_model_aliases (model_key, alias, version_key) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET version_key = excluded.version_key',
        )
        .run(target.model_key, alias, target.version_key)
      const data = existing ? { previous_version: String(existing.version) } : {}
      record({ type: 'alias.set', modelKey: target.model_key, modelName: name, version, alias, data })
    })
  }

  async deleteAlias(name: string, alias: string, change: ChangeContext): Promise<void> {
    const model = this.#modelRow(name)
    this.#write(change, (record) => {
      const existing = this.#db
        .prepare(
          'SELECT v.version FROM registered_model_aliases a JOIN model_versions v ON v.version_key = a.version_key WHERE a.model_key = ? AND a.alias = ?',
        )
        .get(model.model_key, alias) as { version: number } | undefined
      if (!existing) return
      this.#db.prepare('DELETE FROM registered_model_aliases WHERE model_key = ? AND alias = ?').run(model.model_key, alias)
      record({ type: 'alias.deleted', modelKey: model.model_key, modelName: name, version: existing.version, alias })
    })
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const model = this.#modelRow(name)
    const row = this.#db
      .prepare(
        `SELECT v.* FROM registered_model_aliases a JOIN named_model_versions v ON v.version_key = a.version_key
         WHERE a.model_key = ? AND a.alias = ?`,
      )
      .get(model.model_key, alias) as ModelVersionRow | undefined
    if (!row) throw notFound(`Registered model alias ${alias} not found.`)
    return this.#versions.load([row])[0] as ModelVersion
  }

  async getLatestVersions(name: string, stages: readonly Stage[]): Promise<ModelVersion[]> {
    const model = this.#modelRow(name)
    const wanted = stages.length > 0 ? [...new Set(stages)] : allStages
    const rows = this.#versions.latestRows([model.model_key], wanted)
    return this.#versions.load(rows).sort((a, b) => wanted.indexOf(a.currentStage) - wanted.indexOf(b.currentStage))
  }

  async createModelVersion(input: NewModelVersion, change: ChangeContext): Promise<ModelVersion> {
    return this.#versions.create(this.#modelRow(input.name).model_key, input, change)
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.#versions.get(name, version)
  }

  async setModelVersionDescription(name: string, version: number, description: string, change: ChangeContext): Promise<ModelVersion> {
    return this.#versions.setDescription(name, version, description, change)
  }

  async transitionStage(name: string, version: number, stage: Stage, archiveExisting: boolean, change: ChangeContext): Promise<ModelVersion> {
    return this.#versions.transitionStage(name, version, stage, archiveExisting, change)
  }

  async deleteModelVersion(name: string, version: number, change: ChangeContext): Promise<void> {
    this.#versions.delete(name, version, change)
  }

  async setModelVersionTag(name: string, version: number, tag: Tag, change: ChangeContext): Promise<void> {
    this.#versions.setTag(name, version, tag, change)
  }

  async deleteModelVersionTag(name: string, version: number, key: string, change: ChangeContext): Promise<void> {
    this.#versions.deleteTag(name, version, key, change)
  }

  async searchModelVersions(query: RegistrySearchQuery): Promise<Page<ModelVersion>> {
    return this.#versions.search(query)
  }

  async listEvents(query: EventQuery): Promise<RegistryEvent[]> {
    return this.#events.list(query)
  }

  async createWebhook(input: NewWebhook): Promise<Webhook> {
    return this.#events.createWebhook(input)
  }

  async listWebhooks(): Promise<Webhook[]> {
    return this.#events.listWebhooks()
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    this.#events.deleteWebhook(webhookId)
  }

  async listDeliveries(webhookId: string, maxResults: number): Promise<WebhookDelivery[]> {
    return this.#events.listDeliveries(webhookId, maxResults)
  }

  async enqueueDirectDelivery(input: NewDirectDelivery): Promise<void> {
    this.#events.enqueueDirect(input)
  }

  async listDirectDeliveries(subject: string, maxResults: number): Promise<DirectDelivery[]> {
    return this.#events.listDirect(subject, maxResults)
  }

  async claimDueDeliveries(now: number, leaseMs: number, limit: number): Promise<DueDelivery[]> {
    return this.#events.claimDue(now, leaseMs, limit)
  }

  async recordAttempt(deliveryId: string, attempt: DeliveryAttempt, outcome: DeliveryOutcome): Promise<void> {
    this.#events.recordAttempt(deliveryId, attempt, outcome)
  }

  async nextDeliveryTime(): Promise<number | undefined> {
    return this.#events.nextDeliveryTime()
  }

  async close(): Promise<void> {
    if (this.#ownsDb && this.#db.open) this.#db.close()
  }
}
