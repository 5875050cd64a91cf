import type {
  DeliveryAttempt,
  DeliveryStatus,
  DirectDelivery,
  DueDelivery,
  ModelAlias,
  ModelVersion,
  ModelVersionStatus,
  RegisteredModel,
  RegistryEvent,
  RegistryEventType,
  Stage,
  Webhook,
} from '../../registry/entities.js'
import type { Tag } from '../../tracking/entities.js'

/** Registry row shapes as SQLite returns them, and their mapping to entities. */
export interface RegisteredModelRow {
  model_key: number
  name: string
  description: string | null
  user_id: string | null
  creation_time: number
  last_updated_time: number
  next_version: number
}

export interface ModelVersionRow {
  version_key: number
  model_key: number
  name: string
  version: number
  creation_time: number
  last_updated_time: number
  user_id: string | null
  current_stage: string
  description: string | null
  source: string
  storage_location: string
  run_id: string | null
  run_link: string | null
  model_id: string | null
  status: string
  status_message: string | null
}

export interface EventRow {
  event_id: number
  time: number
  actor: string
  type: string
  model_key: number
  model_name: string
  version: string | null
  alias: string | null
  data: string
}

export interface WebhookRow {
  webhook_id: string
  url: string
  events: string
  model_name: string | null
  description: string | null
  secret: string
  creation_time: number
}

export interface DeliveryRow {
  delivery_id: string
  webhook_id: string
  event_id: number
  status: string
  attempts: number
  next_attempt_time: number | null
  creation_time: number
}

/** A direct delivery (webhook_id and event_id null): its own receiver and body. */
export interface DirectDeliveryRow {
  delivery_id: string
  url: string
  event_type: string
  body: string
  subject: string
  status: string
  attempts: number
  next_attempt_time: number | null
  creation_time: number
}

export interface AttemptRow {
  delivery_id: string
  attempt: number
  time: number
  status_code: number | null
  error: string | null
  latency_ms: number
}

export const toModelVersion = (row: ModelVersionRow, tags: readonly Tag[], aliases: readonly string[]): ModelVersion => ({
  name: row.name,
  version: row.version,
  creationTimestamp: row.creation_time,
  lastUpdatedTimestamp: row.last_updated_time,
  userId: row.user_id ?? undefined,
  currentStage: row.current_stage as Stage,
  description: row.description ?? undefined,
  source: row.source,
  storageLocation: row.storage_location,
  runId: row.run_id ?? undefined,
  runLink: row.run_link ?? undefined,
  modelId: row.model_id ?? undefined,
  status: row.status as ModelVersionStatus,
  statusMessage: row.status_message ?? undefined,
  tags,
  aliases,
})

export const toRegisteredModel = (
  row: RegisteredModelRow,
  latestVersions: readonly ModelVersion[],
  tags: readonly Tag[],
  aliases: readonly ModelAlias[],
): RegisteredModel => ({
  name: row.name,
  creationTimestamp: row.creation_time,
  lastUpdatedTimestamp: row.last_updated_time,
  userId: row.user_id ?? undefined,
  description: row.description ?? undefined,
  latestVersions,
  tags,
  aliases,
})

export const toEvent = (row: EventRow): RegistryEvent => ({
  eventId: row.event_id,
  time: row.time,
  actor: row.actor,
  type: row.type as RegistryEventType,
  model: row.model_name,
  version: row.version ?? undefined,
  alias: row.alias ?? undefined,
  data: JSON.parse(row.data) as Record<string, unknown>,
})

export const toWebhook = (row: WebhookRow): Webhook => ({
  webhookId: row.webhook_id,
  url: row.url,
  events: JSON.parse(row.events) as string[],
  modelName: row.model_name ?? undefined,
  description: row.description ?? undefined,
  creationTimestamp: row.creation_time,
})

export const toAttempt = (row: AttemptRow): DeliveryAttempt => ({
  attempt: row.attempt,
  time: row.time,
  statusCode: row.status_code ?? undefined,
  error: row.error ?? undefined,
  latencyMs: row.latency_ms,
})

export const toDeliveryStatus = (status: string): DeliveryStatus => status as DeliveryStatus

export const toDirectDelivery = (row: DirectDeliveryRow, attempts: readonly AttemptRow[]): DirectDelivery => ({
  deliveryId: row.delivery_id,
  url: row.url,
  eventType: row.event_type,
  body: row.body,
  subject: row.subject,
  status: toDeliveryStatus(row.status),
  attempts: attempts.map(toAttempt),
  nextAttemptTime: row.status === 'pending' ? (row.next_attempt_time ?? undefined) : undefined,
  creationTimestamp: row.creation_time,
})

/** A claimed row of either kind: a registry webhook's (webhook_id set) or a direct one. */
export interface ClaimedRow {
  delivery_id: string
  webhook_id: string | null
  event_id: number | null
  attempts: number
  url: string
  secret: string | null
  secret_env: string | null
  event_type: string | null
  body: string | null
}

/** The columns a claim selects, with `d` the deliveries and `w` the (left-joined) webhooks. */
export const claimedColumns = 'd.delivery_id, d.webhook_id, d.event_id, d.attempts, COALESCE(d.url, w.url) AS url, w.secret, d.secret_env, d.event_type, d.body'

export const toDueDelivery = (row: ClaimedRow, eventOf: (eventId: number) => RegistryEvent): DueDelivery =>
  row.webhook_id === null
    ? {
        deliveryId: row.delivery_id,
        url: row.url,
        attemptsMade: row.attempts,
        secretEnv: row.secret_env as string,
        eventType: row.event_type as string,
        body: row.body as string,
      }
    : {
        deliveryId: row.delivery_id,
        webhookId: row.webhook_id,
        url: row.url,
        attemptsMade: row.attempts,
        secret: row.secret as string,
        event: eventOf(row.event_id as number),
      }
