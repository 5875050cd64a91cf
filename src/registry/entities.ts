import type { Stage } from '../models/model-uri.js'
import type { Tag } from '../tracking/entities.js'

/**
 * Model registry entities as the code sees them (camelCase). The wire form is produced only by
 * `registry/wire.ts` (MLflow model_registry.proto) and `registry/wharf-wire.ts` (events, webhooks).
 */
// Stages are part of the models:/ URI grammar, which serving parses too.
export { type Stage, stages } from '../models/model-uri.js'

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY'

export interface ModelVersion {
  readonly name: string
  /** Per-model integer starting at 1; strings on the wire. Never reused after a delete. */
  readonly version: number
  readonly creationTimestamp: number
  readonly lastUpdatedTimestamp: number
  readonly userId?: string | undefined
  readonly currentStage: Stage
  readonly description?: string | undefined
  /** As the client sent it (after validation). */
  readonly source: string
  /** Where the files are: what get-download-uri answers and what `models:/` URIs resolve to. */
  readonly storageLocation: string
  readonly runId?: string | undefined
  readonly runLink?: string | undefined
  readonly modelId?: string | undefined
  readonly status: ModelVersionStatus
  readonly statusMessage?: string | undefined
  readonly tags: readonly Tag[]
  readonly aliases: readonly string[]
}

export interface ModelAlias {
  readonly alias: string
  readonly version: number
}

export interface RegisteredModel {
  readonly name: string
  readonly creationTimestamp: number
  readonly lastUpdatedTimestamp: number
  readonly userId?: string | undefined
  readonly description?: string | undefined
  /** The newest version in each stage, in stage order. */
  readonly latestVersions: readonly ModelVersion[]
  readonly tags: readonly Tag[]
  readonly aliases: readonly ModelAlias[]
}

/**
 * Every change the registry records. `alias.set` covers both a new alias and one moved to another
 * version (then `data.previous_version` is set); `alias.deleted` also fires when deleting a version
 * drops its aliases (`data.reason = 'version_deleted'`).
 */
export const registryEventTypes = [
  'registered_model.created',
  'registered_model.renamed',
  'registered_model.description_set',
  'registered_model.tag_set',
  'registered_model.tag_deleted',
  'registered_model.deleted',
  'model_version.created',
  'model_version.description_set',
  'model_version.stage_transitioned',
  'model_version.tag_set',
  'model_version.tag_deleted',
  'model_version.deleted',
  'alias.set',
  'alias.deleted',
] as const
export type RegistryEventType = (typeof registryEventTypes)[number]

/** Who made a change and when; written with the change in one transaction. */
export interface ChangeContext {
  readonly time: number
  readonly actor: string
}

export interface RegistryEvent {
  readonly eventId: number
  readonly time: number
  readonly actor: string
  readonly type: RegistryEventType
  /** The model's name when the event happened (a later rename does not rewrite history). */
  readonly model: string
  readonly version?: string | undefined
  readonly alias?: string | undefined
  readonly data: Readonly<Record<string, unknown>>
}

export interface Webhook {
  readonly webhookId: string
  readonly url: string
  /** Event types, `<entity>.*` or `*`. */
  readonly events: readonly string[]
  /** Only events of this model when set. Follows the model through renames. */
  readonly modelName?: string | undefined
  readonly description?: string | undefined
  readonly creationTimestamp: number
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed'

export interface DeliveryAttempt {
  readonly attempt: number
  readonly time: number
  readonly statusCode?: number | undefined
  readonly error?: string | undefined
  readonly latencyMs: number
}

export interface WebhookDelivery {
  readonly deliveryId: string
  readonly webhookId: string
  readonly event: RegistryEvent
  readonly status: DeliveryStatus
  readonly attempts: readonly DeliveryAttempt[]
  readonly nextAttemptTime?: number | undefined
  readonly creationTimestamp: number
}

/**
 * A delivery that is not a registry event: its own receiver, event type and body, queued with the
 * registry's webhook deliveries and sent by the same dispatcher (monitoring alerts, issue #18).
 * The receiver's signing secret stays in the server's environment: the queue holds its name only.
 */
export interface NewDirectDelivery {
  readonly deliveryId: string
  readonly url: string
  /** The environment variable holding the signing secret, read when the delivery is sent. */
  readonly secretEnv: string
  /** `X-Wharf-Event`, such as `monitor.alert`. */
  readonly eventType: string
  /** The JSON body, sent as is on every attempt (so it keeps its delivery id and time). */
  readonly body: string
  /** What the delivery is about, to list it by: `<environment>/<model>` for alerts. */
  readonly subject: string
  readonly time: number
}

export interface DirectDelivery {
  readonly deliveryId: string
  readonly url: string
  readonly eventType: string
  readonly body: string
  readonly subject: string
  readonly status: DeliveryStatus
  readonly attempts: readonly DeliveryAttempt[]
  readonly nextAttemptTime?: number | undefined
  readonly creationTimestamp: number
}

interface DueDeliveryBase {
  readonly deliveryId: string
  readonly url: string
  /** Attempts made before this one. */
  readonly attemptsMade: number
}

/** A registry webhook's delivery the dispatcher is about to send, with what it needs to sign it. */
export interface DueWebhookDelivery extends DueDeliveryBase {
  readonly webhookId: string
  readonly secret: string
  readonly event: RegistryEvent
}

/** A direct delivery the dispatcher is about to send; its secret is read from `secretEnv` then. */
export interface DueDirectDelivery extends DueDeliveryBase {
  readonly webhookId?: undefined
  readonly secretEnv: string
  readonly eventType: string
  readonly body: string
}

export type DueDelivery = DueWebhookDelivery | DueDirectDelivery
