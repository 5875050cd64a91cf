import type { DeploymentStore } from '../deployment-store.js'
import { type EndpointRow, type InstanceRow, type ChangeRow, type KeyRow, toEndpoint, toInstance, toChange } from '../deployment-rows.js'
import type { PgDatabase } from './database.js'
import type { DeployChange, Endpoint, EndpointKeyRecord, Instance, KeySlot, Traffic } from '../../deploy/entities.js'

/**
 * Deployments on PostgreSQL (tables from migration 3, keys from migration 5). The same rows as on
 * SQLite. Which replica supervises the endpoints is decided by a lease (server/deployment-lease.ts).
 */
export class PostgresDeploymentStore implements DeploymentStore {
  readonly #db: PgDatabase
  readonly #ownsDb: boolean

  constructor(db: PgDatabase, options: { ownsDb?: boolean } = {}) {
    this.#db = db
    this.#ownsDb = options.ownsDb ?? false
  }

  async listEndpoints(environment?: string): Promise<Endpoint[]> {
    const rows =
      environment === undefined
        ? await this.#db.all<EndpointRow>('SELECT * FROM deploy_endpoints ORDER BY environment, model_name')
        : await this.#db.all<EndpointRow>('SELECT * FROM deploy_endpoints WHERE environment = ? ORDER BY model_name', [environment])
    return rows.map(toEndpoint)
  }

  async getEndpoint(environment: string, modelName: string): Promise<Endpoint | undefined> {
    const row = await this.#db.get<EndpointRow>('SELECT * FROM deploy_endpoints WHERE environment = ? AND model_name = ?', [environment, modelName])
    return row && toEndpoint(row)
  }

  async putEndpoint(e: Omit<Endpoint, 'creationTime' | 'lastUpdateTime'>, time: number): Promise<Endpoint> {
    const row = await this.#db.get<EndpointRow>(
      `INSERT INTO deploy_endpoints (environment, model_name, target, router_port, traffic, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (environment, model_name) DO UPDATE SET target = excluded.target, router_port = excluded.router_port, traffic = excluded.traffic,
         last_update_time = excluded.last_update_time
       RETURNING *`,
      [e.environment, e.modelName, e.target, e.routerPort ?? null, JSON.stringify(e.traffic), time, time],
    )
    return toEndpoint(row!)
  }

  async setTraffic(environment: string, modelName: string, traffic: Traffic, time: number): Promise<void> {
    await this.#db.run('UPDATE deploy_endpoints SET traffic = ?, last_update_time = ? WHERE environment = ? AND model_name = ?', [
      JSON.stringify(traffic),
      time,
      environment,
      modelName,
    ])
  }

  async deleteEndpoint(environment: string, modelName: string): Promise<void> {
    await this.#db.run('DELETE FROM deploy_endpoints WHERE environment = ? AND model_name = ?', [environment, modelName])
  }

  async listInstances(environment?: string, modelName?: string): Promise<Instance[]> {
    const rows = await this.#db.all<InstanceRow>(
      `SELECT * FROM deploy_instances WHERE (?::text IS NULL OR environment = ?) AND (?::text IS NULL OR model_name = ?)
       ORDER BY start_time, instance_id`,
      [environment ?? null, environment ?? null, modelName ?? null, modelName ?? null],
    )
    return rows.map(toInstance)
  }

  async putInstance(i: Instance): Promise<void> {
    await this.#db.run(
      `INSERT INTO deploy_instances (instance_id, environment, model_name, version, model_uri, port, pid, container_name, image, start_time)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (instance_id) DO UPDATE SET port = excluded.port, pid = excluded.pid, container_name = excluded.container_name,
         image = excluded.image, start_time = excluded.start_time`,
      [i.instanceId, i.environment, i.modelName, i.version, i.modelUri, i.port, i.pid ?? null, i.containerName ?? null, i.image ?? null, i.startTime],
    )
  }

  async deleteInstance(instanceId: string): Promise<void> {
    await this.#db.run('DELETE FROM deploy_instances WHERE instance_id = ?', [instanceId])
  }

  async recordChange(c: Omit<DeployChange, 'changeId'>): Promise<DeployChange> {
    const row = await this.#db.get<{ change_id: number }>(
      `INSERT INTO deploy_changes (time, actor, action, environment, model_name, from_version, to_version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       RETURNING change_id`,
      [c.time, c.actor, c.action, c.environment, c.modelName, c.fromVersion ?? null, c.toVersion ?? null, JSON.stringify(c.data)],
    )
    return { ...c, changeId: row!.change_id }
  }

  async listChanges(q: { environment?: string | undefined; modelName?: string | undefined; limit?: number | undefined }): Promise<DeployChange[]> {
    const rows = await this.#db.all<ChangeRow>(
      `SELECT * FROM (SELECT * FROM deploy_changes WHERE (?::text IS NULL OR environment = ?) AND (?::text IS NULL OR model_name = ?)
         ORDER BY change_id DESC LIMIT ?) newest ORDER BY change_id`,
      [q.environment ?? null, q.environment ?? null, q.modelName ?? null, q.modelName ?? null, q.limit ?? 1000],
    )
    return rows.map(toChange)
  }

  async getEndpointKeys(environment: string, modelName: string): Promise<EndpointKeyRecord[]> {
    const rows = await this.#db.all<KeyRow>('SELECT * FROM deploy_endpoint_keys WHERE environment = ? AND model_name = ? ORDER BY slot', [
      environment,
      modelName,
    ])
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
    await this.#db.run(
      `INSERT INTO deploy_endpoint_keys (environment, model_name, slot, salt, digest, creation_time) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (environment, model_name, slot) DO UPDATE SET salt = excluded.salt, digest = excluded.digest, creation_time = excluded.creation_time`,
      [k.environment, k.modelName, k.slot, k.salt, k.digest, k.creationTime],
    )
  }

  async deleteEndpointKeys(environment: string, modelName: string): Promise<void> {
    await this.#db.run('DELETE FROM deploy_endpoint_keys WHERE environment = ? AND model_name = ?', [environment, modelName])
  }

  async close(): Promise<void> {
    if (this.#ownsDb) await this.#db.close()
  }
}
