import type {
  ChangeContext,
  DeliveryAttempt,
  DirectDelivery,
  DueDelivery,
  ModelVersion,
  NewDirectDelivery,
  RegisteredModel,
  RegistryEvent,
  Stage,
  Webhook,
  WebhookDelivery,
} from '../registry/entities.js'
import type { Page, Tag } from '../tracking/entities.js'
import type { OrderTerm, SearchClause } from '../tracking/search/filter-ast.js'

export interface NewRegisteredModel {
  readonly name: string
  readonly description?: string | undefined
  readonly userId?: string | undefined
  readonly tags: readonly Tag[]
}

/** A version whose source was already validated and resolved by `registry/version-source.ts`. */
export interface NewModelVersion {
  readonly name: string
  readonly source: string
  readonly storageLocation: string
  readonly runId?: string | undefined
  readonly runLink?: string | undefined
  readonly modelId?: string | undefined
  readonly description?: string | undefined
  readonly userId?: string | undefined
  readonly tags: readonly Tag[]
}

export interface RegistrySearchQuery {
  readonly clauses: readonly SearchClause[]
  readonly orderBy: readonly OrderTerm[]
  readonly maxResults: number
  readonly pageToken?: string | undefined
  /**
   * MLflow 3 keeps prompts in the registry as models tagged `mlflow.prompt.is_prompt = true` and
   * hides them from model searches unless the filter asks for them (SqlAlchemyStore does the same).
   */
  readonly prompts: 'exclude' | 'only'
}

export interface EventQuery {
  /** A current model's whole history (across renames), or the events recorded under a deleted name. */
  readonly model?: string | undefined
  readonly afterId?: number | undefined
  readonly maxResults: number
}

export interface NewWebhook {
  readonly webhookId: string
  readonly url: string
  readonly events: readonly string[]
  readonly modelName?: string | undefined
  readonly description?: string | undefined
  readonly secret: string
  readonly time: number
}

/** After an attempt: done (either way), or try again at `nextAttemptTime`. */
export type DeliveryOutcome = { readonly status: 'succeeded' | 'failed' } | { readonly status: 'pending'; readonly nextAttemptTime: number }

/**
 * The model registry store. Every write is one transaction that also appends its event(s) to the
 * event log and queues a delivery for each matching webhook, so a change, its record and its
 * notifications commit or vanish together. Failures are MlflowErrors: RESOURCE_DOES_NOT_EXIST for
 * an unknown model, version or alias, RESOURCE_ALREADY_EXISTS for a taken name. Names and inputs
 * arrive validated (`registry/registry-service.ts`); stores check existence and uniqueness.
 */
export interface RegistryStore {
  createRegisteredModel(input: NewRegisteredModel, change: ChangeContext): Promise<RegisteredModel>
  getRegisteredModel(name: string): Promise<RegisteredModel>
  searchRegisteredModels(query: RegistrySearchQuery): Promise<Page<RegisteredModel>>
  renameRegisteredModel(name: string, newName: string, change: ChangeContext): Promise<RegisteredModel>
  setRegisteredModelDescription(name: string, description: string, change: ChangeContext): Promise<RegisteredModel>
  /** Deletes its versions, tags and aliases too. */
  deleteRegisteredModel(name: string, change: ChangeContext): Promise<void>
  setRegisteredModelTag(name: string, tag: Tag, change: ChangeContext): Promise<void>
  deleteRegisteredModelTag(name: string, key: string, change: ChangeContext): Promise<void>

  /** Creates or moves an alias. */
  setAlias(name: string, alias: string, version: number, change: ChangeContext): Promise<void>
  /** A missing alias of an existing model is not an error (as in MLflow) and records nothing. */
  deleteAlias(name: string, alias: string, change: ChangeContext): Promise<void>
  getVersionByAlias(name: string, alias: string): Promise<ModelVersion>
  /** The newest version in each of `stages` (all stages when empty), in the order asked. */
  getLatestVersions(name: string, stages: readonly Stage[]): Promise<ModelVersion[]>

  /** Numbers the version max-ever + 1. */
  createModelVersion(input: NewModelVersion, change: ChangeContext): Promise<ModelVersion>
  getModelVersion(name: string, version: number): Promise<ModelVersion>
  setModelVersionDescription(name: string, version: number, description: string, change: ChangeContext): Promise<ModelVersion>
  /** With `archiveExisting`, the other versions in `stage` move to Archived in the same transaction. */
  transitionStage(name: string, version: number, stage: Stage, archiveExisting: boolean, change: ChangeContext): Promise<ModelVersion>
  /** Drops the version's aliases too, recording an `alias.deleted` for each. */
  deleteModelVersion(name: string, version: number, change: ChangeContext): Promise<void>
  setModelVersionTag(name: string, version: number, tag: Tag, change: ChangeContext): Promise<void>
  deleteModelVersionTag(name: string, version: number, key: string, change: ChangeContext): Promise<void>
  searchModelVersions(query: RegistrySearchQuery): Promise<Page<ModelVersion>>

  listEvents(query: EventQuery): Promise<RegistryEvent[]>

  createWebhook(input: NewWebhook): Promise<Webhook>
  listWebhooks(): Promise<Webhook[]>
  /** Its queued deliveries and their history go with it. */
  deleteWebhook(webhookId: string): Promise<void>
  /** Newest first. RESOURCE_DOES_NOT_EXIST for an unknown webhook. */
  listDeliveries(webhookId: string, maxResults: number): Promise<WebhookDelivery[]>
  /** Queues a delivery that is not a registry event (a monitoring alert), due at `input.time`. */
  enqueueDirectDelivery(input: NewDirectDelivery): Promise<void>
  /** Direct deliveries about `subject`, newest first. */
  listDirectDeliveries(subject: string, maxResults: number): Promise<DirectDelivery[]>
  /**
   * Pending deliveries (registry and direct ones) due at `now`, oldest first, each leased until `now + leaseMs` so that a
   * crash mid-send makes it due again after a restart (at-least-once delivery).
   */
  claimDueDeliveries(now: number, leaseMs: number, limit: number): Promise<DueDelivery[]>
  recordAttempt(deliveryId: string, attempt: DeliveryAttempt, outcome: DeliveryOutcome): Promise<void>
  /** When the earliest pending delivery is due, if any. */
  nextDeliveryTime(): Promise<number | undefined>

  close(): Promise<void>
}
