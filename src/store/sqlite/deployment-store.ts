import type { Database } from 'better-sqlite3'
import type { DeploymentStore } from '../deployment-store.js'
import { type EndpointRow, type InstanceRow, type ChangeRow, type KeyRow, toEndpoint, toInstance, toChange } from '../deployment-rows.js'
import type { DeployChange, Endpoint, EndpointKeyRecord, Instance, KeySlot, Traffic } from '../../deploy/entities.js'

/** Deployments on the server's SQLite database (tables from migration 3). */
export class SqliteDeploymentStore implements DeploymentStore {
  readonly #db: Database
  readonly #ownsDb: boolean

  constructor(db: Database, options: { ownsDb?: boolean } = {}) {
    this.#db = db
    this.#ownsDb = options.ownsDb ?? false
  }

  async listEndpoints(environment?: string): Promise<Endpoint[]> {
    const rows =
      environment === undefined
        ? this.#db.prepare('SELECT * FROM deploy_endpoints ORDER BY environment, model_name').all()
        : this.#db.prepare('SELECT * FROM deploy_endpoints WHERE environment = ? ORDER BY model_name').all(environment)
    return (rows as EndpointRow[]).map(toEndpoint)
  }

  async getEndpoint(environment: string, modelName: string): Promise<Endpoint | undefined> {
    const row = this.#db.prepare('SELECT * FROM deploy_endpoints WHERE environment = ? AND model_name = ?').get(environment, modelName) as
      | EndpointRow
      | undefined
    return row && toEndpoint(row)
  }

  async putEndpoint(e: Omit<Endpoint, 'creationTime' | 'lastUpdateTime'>, time: number): Promise<Endpoint> {
    this.#db
      .prepare(
        `INSERT INTO deploy_endpoints (environment, model_name, target, router_port, traffic, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (environment, model_name) DO UPDATE SET target = excluded.target, router_port = excluded.router_port, traffic = excluded.traffic, last_update_time = excluded.last_update_time`,
      )
      .run(e.environment, e.modelName, e.target, e.routerPort ?? null, JSON.stringify(e.traffic), time, time)
    return (await this.getEndpoint(e.environment, e.modelName))!
  }

  async setTraffic(environment: string, modelName: string, traffic: Traffic, time: number): Promise<void> {
    this.#db
      .prepare('UPDATE deploy_endpoints SET traffic = ?, last_update_time = ? WHERE environment = ? AND model_name = ?')
      .run(JSON.stringify(traffic), time, environment, modelName)
  }

  async deleteEndpoint(environment: string, modelName: string): Promise<void> {
    this.#db.prepare('DELETE FROM deploy_endpoints WHERE environment = ? AND model_name = ?').run(environment, modelName)
  }

  async listInstances(environment?: string, modelName?: string): Promise<Instance[]> {
    const rows = this.#db
      .prepare(
        'SELECT * FROM deploy_instances WHERE (@env IS NULL OR environment = @env) AND (@model IS NULL OR model_name = @model) ORDER BY start_time, instance_id',
      )
      .all({ env: environment ?? null, model: modelName ?? null }) as InstanceRow[]
    return rows.map(toInstance)
  }

  async putInstance(i: Instance): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO deploy_instances (instance_id, environment, model_name, version, model_uri, port, pid, container_name, image, start_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (instance_id) DO UPDATE SET port = excluded.port, pid = excluded.pid, container_name = excluded.container_name, image = excluded.image, start_time = excluded.start_time`,
      )
      .run(i.instanceId, i.environment, i.modelName, i.version, i.modelUri, i.port, i.pid ?? null, i.containerName ?? null, i.image ?? null, i.startTime)
  }

  async deleteInstance(instanceId: string): Promise<void> {
    this.#db.prepare('DELETE FROM deploy_instances WHERE instance_id = ?').run(instanceId)
  }

  async recordChange(c: Omit<DeployChange, 'changeId'>): Promise<DeployChange> {
    const info = this.#db
      .prepare('INSERT INTO deploy_changes (time, actor, action, environment, model_name, from_version, to_version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(c.time, c.actor, c.action, c.environment, c.modelName, c.fromVersion ?? null, c.toVersion ?? null, JSON.stringify(c.data))
    return { ...c, changeId: Number(info.lastInsertRowid) }
  }

  async listChanges(q: { environment?: string | undefined; modelName?: string | undefined; limit?: number | undefined }): Promise<DeployChange[]> {
    const rows = this.#db
      .prepare(
        `SELECT * FROM (SELECT * FROM deploy_changes WHERE (@env IS NULL OR environment = @env) AND (@model IS NULL OR model_name = @model) ORDER BY change_id DESC LIMIT @limit) ORDER BY change_id`,
      )
      .all({ env: q.environment ?? null, model: q.modelName ?? null, limit: q.limit ?? 1000 }) as ChangeRow[]
    return rows.map(toChange)
  }

  async getEndpointKeys(environment: string, modelName: string): Promise<EndpointKeyRecord[]> {
    const rows = this.#db
      .prepare('SELECT * FROM deploy_endpoint_keys WHERE environment = ? AND model_name = ? ORDER BY slot')
      .all(environment, modelName) as KeyRow[]
    return rows.map((r) => ({
      environment: r.environment,
      modelName: r.model_name,
      slot: r.slot as KeySlot,
      salt: r.salt,
      digest: r.digest,
      creationTime: r.creation_time,
    }))
  }

  async putEndpointKey(k: EndpointKeyRecord): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO deploy_endpoint_keys (environment, model_name, slot, salt, digest, creation_time) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (environment, model_name, slot) DO UPDATE SET salt = excluded.salt, digest = excluded.digest, creation_time = excluded.creation_time`,
      )
      .run(k.environment, k.modelName, k.slot, k.salt, k.digest, k.creationTime)
  }

  async deleteEndpointKeys(environment: string, modelName: string): Promise<void> {
    this.#db.prepare('DELETE FROM deploy_endpoint_keys WHERE environment = ? AND model_name = ?').run(environment, modelName)
  }

  async close(): Promise<void> {
    if (this.#ownsDb) this.#db.close()
  }
}
