import type { Tag } from '../tracking/entities.js'
import { compact } from '../tracking/wire.js'
import type { ModelVersion, RegisteredModel } from './entities.js'

/**
 * Registry entities to MLflow's JSON (model_registry.proto as MLflow's server emits it): snake_case,
 * int64 as numbers, versions as strings, unset or empty fields left out (docs/protocols.md §0, §3.1).
 */
type Json = Record<string, unknown>

const tags = (list: readonly Tag[]) => list.map((t) => ({ key: t.key, value: t.value }))

export const toWireModelVersion = (v: ModelVersion): Json =>
  compact({
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.creationTimestamp,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    user_id: v.userId,
    current_stage: v.currentStage,
    description: v.description,
    source: v.source,
    run_id: v.runId,
    status: v.status,
    status_message: v.statusMessage,
    tags: tags(v.tags),
    run_link: v.runLink,
    aliases: [...v.aliases],
    model_id: v.modelId,
  })

export const toWireRegisteredModel = (m: RegisteredModel): Json =>
  compact({
    name: m.name,
    creation_timestamp: m.creationTimestamp,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    user_id: m.userId,
    description: m.description,
    latest_versions: m.latestVersions.map(toWireModelVersion),
    tags: tags(m.tags),
    aliases: m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  })
