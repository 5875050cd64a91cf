import type { DeployAction, DeployChange, Endpoint, Instance, Traffic } from '../deploy/entities.js'

/**
 * Rows of the deployment tables (SQLite migrations 3 and 5, the same columns on PostgreSQL) and
 * their entities: one mapping for both stores.
 */
export interface EndpointRow {
  environment: string
  model_name: string
  target: string
  router_port: number | null
  traffic: string
  creation_time: number
  last_update_time: number
}
export interface InstanceRow {
  instance_id: string
  environment: string
  model_name: string
  version: string
  model_uri: string
  port: number
  pid: number | null
  container_name: string | null
  image: string | null
  start_time: number
}
export interface ChangeRow {
  change_id: number
  time: number
  actor: string
  action: string
  environment: string
  model_name: string
  from_version: string | null
  to_version: string | null
  data: string
}
export interface KeyRow {
  environment: string
  model_name: string
  slot: string
  salt: string
  digest: string
  creation_time: number
}

export const toEndpoint = (r: EndpointRow): Endpoint => ({
  environment: r.environment,
  modelName: r.model_name,
  target: r.target as Endpoint['target'],
  routerPort: r.router_port ?? undefined,
  traffic: JSON.parse(r.traffic) as Traffic,
  creationTime: r.creation_time,
  lastUpdateTime: r.last_update_time,
})
export const toInstance = (r: InstanceRow): Instance => ({
  instanceId: r.instance_id,
  environment: r.environment,
  modelName: r.model_name,
  version: r.version,
  modelUri: r.model_uri,
  port: r.port,
  pid: r.pid ?? undefined,
  containerName: r.container_name ?? undefined,
  image: r.image ?? undefined,
  startTime: r.start_time,
})
export const toChange = (r: ChangeRow): DeployChange => ({
  changeId: r.change_id,
  time: r.time,
  actor: r.actor,
  action: r.action as DeployAction,
  environment: r.environment,
  modelName: r.model_name,
  fromVersion: r.from_version ?? undefined,
  toVersion: r.to_version ?? undefined,
  data: JSON.parse(r.data) as Record<string, unknown>,
})
