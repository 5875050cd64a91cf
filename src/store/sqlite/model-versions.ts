import type { Database } from 'better-sqlite3'
import { notFound } from '../../errors.js'
import type { ChangeContext, ModelVersion, Stage } from '../../registry/entities.js'
import type { Page, Tag } from '../../tracking/entities.js'
import type { NewModelVersion, RegistrySearchQuery } from '../registry-store.js'
import type { EventInput, SqliteRegistryEvents } from './registry-events.js'
import { type ModelVersionRow, toModelVersion } from './registry-rows.js'
import { type KeyValueRow, groupByOwner, toTag } from './rows.js'
import { type SearchTarget, decodePageToken, encodePageToken, orderSql, whereSql } from './search-sql.js'

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

const inJson = 'IN (SELECT value FROM json_each(?))'

/**
 * MLflow 3 hides prompts (registry entries tagged `mlflow.prompt.is_prompt = true`) from model
 * searches unless asked; SqlAlchemyStore does it with an anti-join, as here.
 */
export const promptFilter = (prompts: 'exclude' | 'only', tagTable: string, column: string, owner: string) =>
  `${prompts === 'exclude' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${tagTable} p WHERE p.${column} = ${owner} AND p.key = 'mlflow.prompt.is_prompt' AND p.value = 'true')`

/** Model versions, the part of the SQLite registry store that holds them. Writes record their events. */
export class SqliteModelVersions {
  readonly #db: Database
  readonly #events: SqliteRegistryEvents

  constructor(db: Database, events: SqliteRegistryEvents) {
    this.#db = db
    this.#events = events
  }

  #write<T>(change: ChangeContext, body: (record: (e: EventInput) => void) => T): T {
    return this.#db.transaction(() => body((e) => this.#events.record(e, change)))()
  }

  row(name: string, version: number): ModelVersionRow {
    const row = this.#db.prepare('SELECT * FROM named_model_versions WHERE name = ? AND version = ?').get(name, version) as ModelVersionRow | undefined
    if (!row) throw notFound(`Model Version (name=${name}, version=${version}) not found`)
    return row
  }

  load(rows: readonly ModelVersionRow[]): ModelVersion[] {
    if (rows.length === 0) return []
    const keys = JSON.stringify(rows.map((r) => r.version_key))
    const tags = groupByOwner(
      this.#db
        .prepare(`SELECT CAST(version_key AS TEXT) AS owner, key, value FROM model_version_tags WHERE version_key ${inJson} ORDER BY key`)
        .all(keys) as KeyValueRow[],
    )
    const aliases = groupByOwner(
      this.#db
        .prepare(`SELECT CAST(version_key AS TEXT) AS owner, alias FROM registered_model_aliases WHERE version_key ${inJson} ORDER BY alias`)
        .all(keys) as { owner: string; alias: string }[],
    )
    return rows.map((r) =>
      toModelVersion(
        r,
        (tags.get(String(r.version_key)) ?? []).map(toTag),
        (aliases.get(String(r.version_key)) ?? []).map((a) => a.alias),
      ),
    )
  }

  /** The newest version in each stage of each model, as rows. */
  latestRows(modelKeys: readonly number[], stages: readonly Stage[]): ModelVersionRow[] {
    return this.#db
      .prepare(
        `SELECT v.* FROM named_model_versions v WHERE v.model_key ${inJson} AND v.current_stage ${inJson}
         AND v.version = (SELECT max(w.version) FROM model_versions w WHERE w.model_key = v.model_key AND w.current_stage = v.current_stage)`,
      )
      .all(JSON.stringify(modelKeys), JSON.stringify(stages)) as ModelVersionRow[]
  }

  get(name: string, version: number): ModelVersion {
    return this.load([this.row(name, version)])[0] as ModelVersion
  }

  create(modelKey: number, input: NewModelVersion, change: ChangeContext): ModelVersion {
    const version = this.#write(change, (record) => {
      const { next_version: n } = this.#db.prepare('SELECT next_version FROM registered_models WHERE model_key = ?').get(modelKey) as { next_version: number }
      this.#db.prepare('UPDATE registered_models SET next_version = ?, last_updated_time = ? WHERE model_key = ?').run(n + 1, change.time, modelKey)
      const info = this.#db
        .prepare(
          `INSERT INTO model_versions (model_key, version, creation_time, last_updated_time, user_id, description, source, storage_location,
             run_id, run_link, model_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
        )
      const tag = this.#db.prepare('INSERT OR REPLACE INTO model_version_tags (version_key, key, value) VALUES (?, ?, ?)')
      for (const t of input.tags) tag.run(Number(info.lastInsertRowid), t.key, t.value)
      const data = { source: input.source, storage_location: input.storageLocation, run_id: input.runId, model_id: input.modelId }
      record({ type: 'model_version.created', modelKey, modelName: input.name, version: n, data })
      return n
    })
    return this.get(input.name, version)
  }

  setDescription(name: string, version: number, description: string, change: ChangeContext): ModelVersion {
    const row = this.row(name, version)
    this.#write(change, (record) => {
      this.#db
        .prepare('UPDATE model_versions SET description = ?, last_updated_time = ? WHERE version_key = ?')
        .run(description || null, change.time, row.version_key)
      record({ type: 'model_version.description_set', modelKey: row.model_key, modelName: name, version, data: { description } })
    })
    return this.get(name, version)
  }

  transitionStage(name: string, version: number, stage: Stage, archiveExisting: boolean, change: ChangeContext): ModelVersion {
    const row = this.row(name, version)
    this.#write(change, (record) => {
      const move = this.#db.prepare('UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE version_key = ?')
      if (archiveExisting) {
        const others = this.#db
          .prepare('SELECT version_key, version FROM model_versions WHERE model_key = ? AND current_stage = ? AND version_key != ? ORDER BY version')
          .all(row.model_key, stage, row.version_key) as { version_key: number; version: number }[]
        for (const o of others) {
          move.run('Archived', change.time, o.version_key)
          const data = { from: stage, to: 'Archived', reason: 'archive_existing_versions', promoted_version: String(version) }
          record({ type: 'model_version.stage_transitioned', modelKey: row.model_key, modelName: name, version: o.version, data })
        }
      }
      move.run(stage, change.time, row.version_key)
      this.#db.prepare('UPDATE registered_models SET last_updated_time = ? WHERE model_key = ?').run(change.time, row.model_key)
      if (row.current_stage !== stage) {
        const data = { from: row.current_stage, to: stage, archive_existing_versions: archiveExisting }
        record({ type: 'model_version.stage_transitioned', modelKey: row.model_key, modelName: name, version, data })
      }
    })
    return this.get(name, version)
  }

  /** Its aliases go too (ON DELETE CASCADE), each recorded as `alias.deleted`. */
  delete(name: string, version: number, change: ChangeContext): void {
    const row = this.row(name, version)
    this.#write(change, (record) => {
      const aliases = this.#db.prepare('SELECT alias FROM registered_model_aliases WHERE version_key = ? ORDER BY alias').all(row.version_key) as {
        alias: string
      }[]
      for (const { alias } of aliases) {
        record({ type: 'alias.deleted', modelKey: row.model_key, modelName: name, version, alias, data: { reason: 'version_deleted' } })
      }
      record({ type: 'model_version.deleted', modelKey: row.model_key, modelName: name, version })
      this.#db.prepare('DELETE FROM model_versions WHERE version_key = ?').run(row.version_key)
      this.#db.prepare('UPDATE registered_models SET last_updated_time = ? WHERE model_key = ?').run(change.time, row.model_key)
    })
  }

  setTag(name: string, version: number, tag: Tag, change: ChangeContext): void {
    const row = this.row(name, version)
    this.#write(change, (record) => {
      this.#db
        .prepare('INSERT INTO model_version_tags (version_key, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value')
        .run(row.version_key, tag.key, tag.value)
      record({ type: 'model_version.tag_set', modelKey: row.model_key, modelName: name, version, data: { key: tag.key, value: tag.value } })
    })
  }

  deleteTag(name: string, version: number, key: string, change: ChangeContext): void {
    const row = this.row(name, version)
    this.#write(change, (record) => {
      const info = this.#db.prepare('DELETE FROM model_version_tags WHERE version_key = ? AND key = ?').run(row.version_key, key)
      if (info.changes > 0) record({ type: 'model_version.tag_deleted', modelKey: row.model_key, modelName: name, version, data: { key } })
    })
  }

  /** Ordered as MLflow does by default: name ascending, then version descending. */
  search(query: RegistrySearchQuery): Page<ModelVersion> {
    const where = whereSql(versionTarget, query.clauses)
    const order = orderSql(versionTarget, query.orderBy)
    const offset = decodePageToken(query.pageToken)
    const sql = `SELECT v.* FROM named_model_versions v ${order.joins.sql}
      WHERE ${promptFilter(query.prompts, 'model_version_tags', 'version_key', 'v.version_key')} ${where.sql ? `AND ${where.sql}` : ''}
      ORDER BY ${[...order.orderBy, 'v.name ASC', 'v.version DESC'].join(', ')} LIMIT ? OFFSET ?`
    const rows = this.#db.prepare(sql).all(...order.joins.params, ...where.params, query.maxResults + 1, offset) as ModelVersionRow[]
    return {
      items: this.load(rows.slice(0, query.maxResults)),
      nextPageToken: rows.length > query.maxResults ? encodePageToken(offset + query.maxResults) : undefined,
    }
  }
}
