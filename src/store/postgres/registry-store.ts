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
import { promptFilter } from '../sqlite/model-versions.js'
import { type ModelVersionRow, type RegisteredModelRow, toRegisteredModel } from '../sqlite/registry-rows.js'
import { type KeyValueRow, groupByOwner, toTag } from '../sqlite/rows.js'
import { type SearchTarget, decodePageToken, encodePageToken, orderSql, whereSql } from '../sqlite/search-sql.js'
import { type PgDatabase, type PgExecutor, isUniqueViolation } from './database.js'
import { PostgresModelVersions } from './model-versions.js'
import { type EventInput, PostgresRegistryEvents } from './registry-events.js'

const modelTarget: SearchTarget = {
  alias: 'm',
  idColumn: 'model_key',
  attributes: { name: 'name', last_updated_timestamp: 'last_updated_time', creation_timestamp: 'creation_time' },
  tagTable: 'search_registered_model_tags',
}

type RecordEvent = (e: EventInput) => Promise<void>

/**
 * RegistryStore on PostgreSQL: registered models, tags and aliases here; versions in
 * `model-versions.ts`; the event log and webhook queue in `registry-events.ts`. Same SQL shapes as
 * the SQLite store. Every write method is one transaction that also records its events.
 */
export class PostgresRegistryStore implements RegistryStore {
  readonly #db: PgDatabase
  readonly #ownsDb: boolean
  readonly #events: PostgresRegistryEvents
  readonly #versions: PostgresModelVersions

  /** With `ownsDb`, `close()` closes the pool too. */
  constructor(db: PgDatabase, options: { ownsDb?: boolean } = {}) {
    this.#db = db
    this.#ownsDb = options.ownsDb ?? false
    this.#events = new PostgresRegistryEvents(db)
    this.#versions = new PostgresModelVersions(db, this.#events)
  }

  async #modelRow(name: string, q: PgExecutor = this.#db): Promise<RegisteredModelRow> {
    const row = await q.get<RegisteredModelRow>('SELECT * FROM registered_models WHERE name = ?', [name])
    if (!row) throw notFound(`Registered Model with name=${name} not found`)
    return row
  }

  #write<T>(change: ChangeContext, body: (q: PgExecutor, record: RecordEvent) => Promise<T>): Promise<T> {
    return this.#db.tx((q) => body(q, (e) => this.#events.record(q, e, change)))
  }

  async #loadModels(rows: readonly RegisteredModelRow[]): Promise<RegisteredModel[]> {
    if (rows.length === 0) return []
    const keys = [rows.map((r) => r.model_key)]
    const [tagRows, aliasRows, latestRows] = await Promise.all([
      this.#db.all<KeyValueRow>(
        'SELECT CAST(model_key AS TEXT) AS owner, key, value FROM registered_model_tags WHERE model_key = ANY(?::bigint[]) ORDER BY key',
        keys,
      ),
      this.#db.all<ModelAlias & { owner: string }>(
        `SELECT CAST(a.model_key AS TEXT) AS owner, a.alias, v.version FROM registered_model_aliases a
         JOIN model_versions v ON v.version_key = a.version_key WHERE a.model_key = ANY(?::bigint[]) ORDER BY a.alias`,
        keys,
      ),
      this.#versions.latestRows(
        rows.map((r) => r.model_key),
        allStages,
      ),
    ])
    const tags = groupByOwner(tagRows)
    const aliases = groupByOwner(aliasRows)
    const latest = groupByOwner((await this.#versions.load(latestRows)).map((v, i) => ({ ...v, owner: String(latestRows[i]!.model_key) })))
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
      await this.#write(change, async (q, record) => {
        const created = await q.get<{ model_key: number }>(
          'INSERT INTO registered_models (name, description, user_id, creation_time, last_updated_time) VALUES (?, ?, ?, ?, ?) RETURNING model_key',
          [input.name, input.description || null, input.userId || null, change.time, change.time],
        )
        const modelKey = created!.model_key
        for (const t of input.tags) {
          await q.run(
            'INSERT INTO registered_model_tags (model_key, key, value) VALUES (?, ?, ?) ON CONFLICT (model_key, key) DO UPDATE SET value = excluded.value',
            [modelKey, t.key, t.value],
          )
        }
        await record({
          type: 'registered_model.created',
          modelKey,
          modelName: input.name,
          data: { description: input.description || undefined, tags: input.tags },
        })
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${input.name}) already exists.`, { cause: err })
      throw err
    }
    return this.getRegisteredModel(input.name)
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return (await this.#loadModels([await this.#modelRow(name)]))[0] as RegisteredModel
  }

  async searchRegisteredModels(query: RegistrySearchQuery): Promise<Page<RegisteredModel>> {
    const where = whereSql(modelTarget, query.clauses)
    const order = orderSql(modelTarget, query.orderBy)
    const offset = decodePageToken(query.pageToken)
    const sql = `SELECT m.* FROM registered_models m ${order.joins.sql}
      WHERE ${promptFilter(query.prompts, 'registered_model_tags', 'model_key', 'm.model_key')} ${where.sql ? `AND ${where.sql}` : ''}
      ORDER BY ${[...order.orderBy, 'm.name ASC'].join(', ')} LIMIT ? OFFSET ?`
    const rows = await this.#db.all<RegisteredModelRow>(sql, [...order.joins.params, ...where.params, query.maxResults + 1, offset])
    return {
      items: await this.#loadModels(rows.slice(0, query.maxResults)),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }

  async renameRegisteredModel(name: string, newName: string, change: ChangeContext): Promise<RegisteredModel> {
    const row = await this.#modelRow(name)
    try {
      await this.#write(change, async (q, record) => {
        await q.run('UPDATE registered_models SET name = ?, last_updated_time = ? WHERE model_key = ?', [newName, change.time, row.model_key])
        await this.#events.renameModel(q, name, newName)
        await record({ type: 'registered_model.renamed', modelKey: row.model_key, modelName: newName, data: { previous_name: name } })
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${newName}) already exists.`, { cause: err })
      throw err
    }
    return this.getRegisteredModel(newName)
  }

  async setRegisteredModelDescription(name: string, description: string, change: ChangeContext): Promise<RegisteredModel> {
    const row = await this.#modelRow(name)
    await this.#write(change, async (q, record) => {
      await q.run('UPDATE registered_models SET description = ?, last_updated_time = ? WHERE model_key = ?', [description || null, change.time, row.model_key])
      await record({ type: 'registered_model.description_set', modelKey: row.model_key, modelName: name, data: { description } })
    })
    return this.getRegisteredModel(name)
  }

  async deleteRegisteredModel(name: string, change: ChangeContext): Promise<void> {
    const row = await this.#modelRow(name)
    await this.#write(change, async (q, record) => {
      const counted = await q.get<{ n: number }>('SELECT count(*) AS n FROM model_versions WHERE model_key = ?', [row.model_key])
      await record({ type: 'registered_model.deleted', modelKey: row.model_key, modelName: name, data: { versions_deleted: counted?.n ?? 0 } })
      await q.run('DELETE FROM registered_models WHERE model_key = ?', [row.model_key])
    })
  }

  async setRegisteredModelTag(name: string, tag: Tag, change: ChangeContext): Promise<void> {
    const row = await this.#modelRow(name)
    await this.#write(change, async (q, record) => {
      await q.run(
        'INSERT INTO registered_model_tags (model_key, key, value) VALUES (?, ?, ?) ON CONFLICT (model_key, key) DO UPDATE SET value = excluded.value',
        [row.model_key, tag.key, tag.value],
      )
      await record({ type: 'registered_model.tag_set', modelKey: row.model_key, modelName: name, data: { key: tag.key, value: tag.value } })
    })
  }

  async deleteRegisteredModelTag(name: string, key: string, change: ChangeContext): Promise<void> {
    const row = await this.#modelRow(name)
    await this.#write(change, async (q, record) => {
      const changes = await q.run('DELETE FROM registered_model_tags WHERE model_key = ? AND key = ?', [row.model_key, key])
      if (changes > 0) await record({ type: 'registered_model.tag_deleted', modelKey: row.model_key, modelName: name, data: { key } })
    })
  }

  async setAlias(name: string, alias: string, version: number, change: ChangeContext): Promise<void> {
    const target = await this.#versions.row(name, version)
    await this.#write(change, async (q, record) => {
      const existing = await q.get<{ version: number }>(
        'SELECT v.version FROM registered_model_aliases a JOIN model_versions v ON v.version_key = a.version_key WHERE a.model_key = ? AND a.alias = ?',
        [target.model_key, alias],
      )
      if (existing?.version === version) return
      await q.run(
        `INSERT INTO registered_model_aliases (model_key, alias, version_key) VALUES (?, ?, ?)
         ON CONFLICT (model_key, alias) DO UPDATE SET version_key = excluded.version_key`,
        [target.model_key, alias, target.version_key],
      )
      const data = existing ? { previous_version: String(existing.version) } : {}
      await record({ type: 'alias.set', modelKey: target.model_key, modelName: name, version, alias, data })
    })
  }

  async deleteAlias(name: string, alias: string, change: ChangeContext): Promise<void> {
    const model = await this.#modelRow(name)
    await this.#write(change, async (q, record) => {
      const existing = await q.get<{ version: number }>(
        'SELECT v.version FROM registered_model_aliases a JOIN model_versions v ON v.version_key = a.version_key WHERE a.model_key = ? AND a.alias = ?',
        [model.model_key, alias],
      )
      if (!existing) return
      await q.run('DELETE FROM registered_model_aliases WHERE model_key = ? AND alias = ?', [model.model_key, alias])
      await record({ type: 'alias.deleted', modelKey: model.model_key, modelName: name, version: existing.version, alias })
    })
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const model = await this.#modelRow(name)
    const row = await this.#db.get<ModelVersionRow>(
      `SELECT v.* FROM registered_model_aliases a JOIN named_model_versions v ON v.version_key = a.version_key
       WHERE a.model_key = ? AND a.alias = ?`,
      [model.model_key, alias],
    )
    if (!row) throw notFound(`Registered model alias ${alias} not found.`)
    return (await this.#versions.load([row]))[0] as ModelVersion
  }

  async getLatestVersions(name: string, stages: readonly Stage[]): Promise<ModelVersion[]> {
    const model = await this.#modelRow(name)
    const wanted = stages.length > 0 ? [...new Set(stages)] : allStages
    const rows = await this.#versions.latestRows([model.model_key], wanted)
    return (await this.#versions.load(rows)).sort((a, b) => wanted.indexOf(a.currentStage) - wanted.indexOf(b.currentStage))
  }

  async createModelVersion(input: NewModelVersion, change: ChangeContext): Promise<ModelVersion> {
    return this.#versions.create((await this.#modelRow(input.name)).model_key, input, change)
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
    await this.#versions.delete(name, version, change)
  }

  async setModelVersionTag(name: string, version: number, tag: Tag, change: ChangeContext): Promise<void> {
    await this.#versions.setTag(name, version, tag, change)
  }

  async deleteModelVersionTag(name: string, version: number, key: string, change: ChangeContext): Promise<void> {
    await this.#versions.deleteTag(name, version, key, change)
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
    await this.#events.deleteWebhook(webhookId)
  }

  async listDeliveries(webhookId: string, maxResults: number): Promise<WebhookDelivery[]> {
    return this.#events.listDeliveries(webhookId, maxResults)
  }

  async enqueueDirectDelivery(input: NewDirectDelivery): Promise<void> {
    await this.#events.enqueueDirect(input)
  }

  async listDirectDeliveries(subject: string, maxResults: number): Promise<DirectDelivery[]> {
    return this.#events.listDirect(subject, maxResults)
  }

  async claimDueDeliveries(now: number, leaseMs: number, limit: number): Promise<DueDelivery[]> {
    return this.#events.claimDue(now, leaseMs, limit)
  }

  async recordAttempt(deliveryId: string, attempt: DeliveryAttempt, outcome: DeliveryOutcome): Promise<void> {
    await this.#events.recordAttempt(deliveryId, attempt, outcome)
  }

  async nextDeliveryTime(): Promise<number | undefined> {
    return this.#events.nextDeliveryTime()
  }

  async close(): Promise<void> {
    if (this.#ownsDb) await this.#db.close()
  }
}
