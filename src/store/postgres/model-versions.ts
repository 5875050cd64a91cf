import { notFound } from '../../errors.js'
import type { ChangeContext, ModelVersion, Stage } from '../../registry/entities.js'
import type { Page, Tag } from '../../tracking/entities.js'
import type { NewModelVersion, RegistrySearchQuery } from '../registry-store.js'
import { promptFilter } from '../sqlite/model-versions.js'
import { type ModelVersionRow, toModelVersion } from '../sqlite/registry-rows.js'
import { type KeyValueRow, groupByOwner, toTag } from '../sqlite/rows.js'
import { type SearchTarget, decodePageToken, encodePageToken, orderSql, whereSql } from '../sqlite/search-sql.js'
import type { PgDatabase, PgExecutor } from './database.js'
import type { EventInput, PostgresRegistryEvents } from './registry-events.js'

const versionTarget: SearchTarget = {
  alias: 'v',
  idColumn: 'version_key',
  attributes: {
    name: 'name',
    run_id: 'run_id',
    source_path: 'source',
    version_number: 'version',
    creation_timestamp: 'creation_time',
    last_updated_timestamp: 'last_updated_time',
  },
  tagTable: 'search_model_version_tags',
}

type RecordEvent = (e: EventInput) => Promise<void>

/** Model versions, the part of the PostgreSQL registry store that holds them. Writes record their events. */
export class PostgresModelVersions {
  readonly #db: PgDatabase
  readonly #events: PostgresRegistryEvents

  constructor(db: PgDatabase, events: PostgresRegistryEvents) {
    this.#db = db
    this.#events = events
  }

  #write<T>(change: ChangeContext, body: (q: PgExecutor, record: RecordEvent) => Promise<T>): Promise<T> {
    return this.#db.tx((q) => body(q, (e) => this.#events.record(q, e, change)))
  }

  async row(name: string, version: number, q: PgExecutor = this.#db): Promise<ModelVersionRow> {
    const row = await q.get<ModelVersionRow>('SELECT * FROM named_model_versions WHERE name = ? AND version = ?', [name, version])
    if (!row) throw notFound(`Model Version (name=${name}, version=${version}) not found`)
    return row
  }

  async load(rows: readonly ModelVersionRow[]): Promise<ModelVersion[]> {
    if (rows.length === 0) return []
    const keys = [rows.map((r) => r.version_key)]
    const [tagRows, aliasRows] = await Promise.all([
      this.#db.all<KeyValueRow>(
        'SELECT CAST(version_key AS TEXT) AS owner, key, value FROM model_version_tags WHERE version_key = ANY(?::bigint[]) ORDER BY key',
        keys,
      ),
      this.#db.all<{ owner: string; alias: string }>(
        'SELECT CAST(version_key AS TEXT) AS owner, alias FROM registered_model_aliases WHERE version_key = ANY(?::bigint[]) ORDER BY alias',
        keys,
      ),
    ])
    const tags = groupByOwner(tagRows)
    const aliases = groupByOwner(aliasRows)
    return rows.map((r) =>
      toModelVersion(
        r,
        (tags.get(String(r.version_key)) ?? []).map(toTag),
        (aliases.get(String(r.version_key)) ?? []).map((a) => a.alias),
      ),
    )
  }

  /** The newest version in each stage of each model, as rows. */
  latestRows(modelKeys: readonly number[], stages: readonly Stage[]): Promise<ModelVersionRow[]> {
    return this.#db.all<ModelVersionRow>(
      `SELECT v.* FROM named_model_versions v WHERE v.model_key = ANY(?::bigint[]) AND v.current_stage = ANY(?::text[])
       AND v.version = (SELECT max(w.version) FROM model_versions w WHERE w.model_key = v.model_key AND w.current_stage = v.current_stage)`,
      [modelKeys, stages],
    )
  }

  async get(name: string, version: number): Promise<ModelVersion> {
    return (await this.load([await this.row(name, version)]))[0] as ModelVersion
  }

  async create(modelKey: number, input: NewModelVersion, change: ChangeContext): Promise<ModelVersion> {
    const version = await this.#write(change, async (q, record) => {
      // The row lock this UPDATE takes numbers concurrent creations one after the other.
      const numbered = await q.get<{ n: number }>(
        'UPDATE registered_models SET next_version = next_version + 1, last_updated_time = ? WHERE model_key = ? RETURNING next_version - 1 AS n',
        [change.time, modelKey],
      )
      if (!numbered) throw notFound(`Registered Model with name=${input.name} not found`)
      const n = numbered.n
      const created = await q.get<{ version_key: number }>(
        `INSERT INTO model_versions (model_key, version, creation_time, last_updated_time, user_id, description, source, storage_location,
           run_id, run_link, model_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING version_key`,
        [
          modelKey,
          n,
          change.time,
          change.time,
          input.userId || null,
          input.description || null,
          input.source,
          input.storageLocation,
          input.runId || null,
          input.runLink || null,
          input.modelId || null,
        ],
      )
      for (const t of input.tags) {
        await q.run(
          'INSERT INTO model_version_tags (version_key, key, value) VALUES (?, ?, ?) ON CONFLICT (version_key, key) DO UPDATE SET value = excluded.value',
          [created!.version_key, t.key, t.value],
        )
      }
      const data = { source: input.source, storage_location: input.storageLocation, run_id: input.runId, model_id: input.modelId }
      await record({ type: 'model_version.created', modelKey, modelName: input.name, version: n, data })
      return n
    })
    return this.get(input.name, version)
  }

  async setDescription(name: string, version: number, description: string, change: ChangeContext): Promise<ModelVersion> {
    const row = await this.row(name, version)
    await this.#write(change, async (q, record) => {
      await q.run('UPDATE model_versions SET description = ?, last_updated_time = ? WHERE version_key = ?', [description || null, change.time, row.version_key])
      await record({ type: 'model_version.description_set', modelKey: row.model_key, modelName: name, version, data: { description } })
    })
    return this.get(name, version)
  }

  async transitionStage(name: string, version: number, stage: Stage, archiveExisting: boolean, change: ChangeContext): Promise<ModelVersion> {
    const row = await this.row(name, version)
    await this.#write(change, async (q, record) => {
      const move = 'UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE version_key = ?'
      if (archiveExisting) {
        const others = await q.all<{ version_key: number; version: number }>(
          'SELECT version_key, version FROM model_versions WHERE model_key = ? AND current_stage = ? AND version_key != ? ORDER BY version',
          [row.model_key, stage, row.version_key],
        )
        for (const o of others) {
          await q.run(move, ['Archived', change.time, o.version_key])
          const data = { from: stage, to: 'Archived', reason: 'archive_existing_versions', promoted_version: String(version) }
          await record({ type: 'model_version.stage_transitioned', modelKey: row.model_key, modelName: name, version: o.version, data })
        }
      }
      await q.run(move, [stage, change.time, row.version_key])
      await q.run('UPDATE registered_models SET last_updated_time = ? WHERE model_key = ?', [change.time, row.model_key])
      if (row.current_stage !== stage) {
        const data = { from: row.current_stage, to: stage, archive_existing_versions: archiveExisting }
        await record({ type: 'model_version.stage_transitioned', modelKey: row.model_key, modelName: name, version, data })
      }
    })
    return this.get(name, version)
  }

  /** Its aliases go too (ON DELETE CASCADE), each recorded as `alias.deleted`. */
  async delete(name: string, version: number, change: ChangeContext): Promise<void> {
    const row = await this.row(name, version)
    await this.#write(change, async (q, record) => {
      const aliases = await q.all<{ alias: string }>('SELECT alias FROM registered_model_aliases WHERE version_key = ? ORDER BY alias', [row.version_key])
      for (const { alias } of aliases) {
        await record({ type: 'alias.deleted', modelKey: row.model_key, modelName: name, version, alias, data: { reason: 'version_deleted' } })
      }
      await record({ type: 'model_version.deleted', modelKey: row.model_key, modelName: name, version })
      await q.run('DELETE FROM model_versions WHERE version_key = ?', [row.version_key])
      await q.run('UPDATE registered_models SET last_updated_time = ? WHERE model_key = ?', [change.time, row.model_key])
    })
  }

  async setTag(name: string, version: number, tag: Tag, change: ChangeContext): Promise<void> {
    const row = await this.row(name, version)
    await this.#write(change, async (q, record) => {
      await q.run(
        'INSERT INTO model_version_tags (version_key, key, value) VALUES (?, ?, ?) ON CONFLICT (version_key, key) DO UPDATE SET value = excluded.value',
        [row.version_key, tag.key, tag.value],
      )
      await record({ type: 'model_version.tag_set', modelKey: row.model_key, modelName: name, version, data: { key: tag.key, value: tag.value } })
    })
  }

  async deleteTag(name: string, version: number, key: string, change: ChangeContext): Promise<void> {
    const row = await this.row(name, version)
    await this.#write(change, async (q, record) => {
      const changes = await q.run('DELETE FROM model_version_tags WHERE version_key = ? AND key = ?', [row.version_key, key])
      if (changes > 0) await record({ type: 'model_version.tag_deleted', modelKey: row.model_key, modelName: name, version, data: { key } })
    })
  }

  /** Ordered as MLflow does by default: name ascending, then version descending. */
  async search(query: RegistrySearchQuery): Promise<Page<ModelVersion>> {
    const where = whereSql(versionTarget, query.clauses)
    const order = orderSql(versionTarget, query.orderBy)
    const offset = decodePageToken(query.pageToken)
    const sql = `SELECT v.* FROM named_model_versions v ${order.joins.sql}
      WHERE ${promptFilter(query.prompts, 'model_version_tags', 'version_key', 'v.version_key')} ${where.sql ? `AND ${where.sql}` : ''}
      ORDER BY ${[...order.orderBy, 'v.name ASC', 'v.version DESC'].join(', ')} LIMIT ? OFFSET ?`
    const rows = await this.#db.all<ModelVersionRow>(sql, [...order.joins.params, ...where.params, query.maxResults + 1, offset])
    return {
      items: await this.load(rows.slice(0, query.maxResults)),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }
}
