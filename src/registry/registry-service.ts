import { noOwnAuthority } from '../http/server-authority.js'
import { invalidParameter } from '../errors.js'
import { parseStage, parseVersion } from '../models/index.js'
import type { RegistryStore, RegistrySearchQuery } from '../store/registry-store.js'
import type { TrackingStore } from '../store/tracking-store.js'
import type { Page, Tag } from '../tracking/entities.js'
import type { SearchClause } from '../tracking/search/filter-ast.js'
import { parseFilter, parseOrderBy } from '../tracking/search/filter-parser.js'
import { type SearchGrammar, modelVersionGrammar, registeredModelGrammar } from '../tracking/search/grammars.js'
import type { ChangeContext, ModelVersion, RegisteredModel, RegistryEvent } from './entities.js'
import { type ModelLocation, resolveModelReference, resolveModelUri } from './model-resolver.js'
import { promptTagKey, resolveVersionSource } from './version-source.js'
import { registryLimits, validateAlias, validateDescription, validateModelName, validateRegistryTag } from './validation.js'
import { WebhookService, type WebhookServiceOptions } from './webhook-service.js'

export interface RegistryServiceOptions extends WebhookServiceOptions {
  readonly now?: () => number
  /** Called after every committed change, e.g. to wake the webhook dispatcher. */
  readonly onChange?: () => void
  /** Whether an `mlflow-artifacts://` authority is this server; by default none is (only `mlflow-artifacts:/path`). */
  readonly isOwnArtifactAuthority?: (authority: string) => boolean
}

export interface SearchRequest {
  readonly filter?: string | undefined
  readonly orderBy?: readonly string[] | undefined
  readonly maxResults?: number | undefined
  readonly pageToken?: string | undefined
}

export interface NewVersionRequest {
  readonly name: string
  readonly source: string
  readonly runId?: string | undefined
  readonly modelId?: string | undefined
  readonly runLink?: string | undefined
  readonly description?: string | undefined
  readonly tags: readonly Tag[]
}

/**
 * Registry operations with MLflow's validation on top of the store's primitives, for the HTTP
 * routes and in-process callers (serving, deployments). `actor` is who asked (see `http/actor.ts`).
 */
export class RegistryService {
  readonly webhooks: WebhookService
  readonly #now: () => number
  readonly #onChange: () => void
  readonly #isOwnArtifactAuthority: (authority: string) => boolean

  constructor(
    readonly store: RegistryStore,
    readonly tracking: TrackingStore,
    options: RegistryServiceOptions = {},
  ) {
    this.#now = options.now ?? Date.now
    this.#onChange = options.onChange ?? (() => {})
    this.#isOwnArtifactAuthority = options.isOwnArtifactAuthority ?? noOwnAuthority
    this.webhooks = new WebhookService(store, { ...options, now: this.#now })
  }

  async #change<T>(actor: string, write: (change: ChangeContext) => Promise<T>): Promise<T> {
    const result = await write({ time: this.#now(), actor })
    this.#onChange()
    return result
  }

  createRegisteredModel(input: { name: string; description?: string | undefined; tags: readonly Tag[] }, actor: string): Promise<RegisteredModel> {
    validateModelName(input.name)
    input.tags.forEach(validateRegistryTag)
    validateDescription(input.description ?? '')
    return this.#change(actor, (c) => this.store.createRegisteredModel({ ...input, userId: undefined }, c))
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    validateModelName(name)
    return this.store.getRegisteredModel(name)
  }

  renameRegisteredModel(name: string, newName: string, actor: string): Promise<RegisteredModel> {
    validateModelName(name)
    validateModelName(newName, 'new_name')
    return this.#change(actor, (c) => this.store.renameRegisteredModel(name, newName, c))
  }

  updateRegisteredModel(name: string, description: string, actor: string): Promise<RegisteredModel> {
    validateModelName(name)
    validateDescription(description)
    return this.#change(actor, (c) => this.store.setRegisteredModelDescription(name, description, c))
  }

  deleteRegisteredModel(name: string, actor: string): Promise<void> {
    validateModelName(name)
    return this.#change(actor, (c) => this.store.deleteRegisteredModel(name, c))
  }

  setRegisteredModelTag(name: string, tag: Tag, actor: string): Promise<void> {
    validateModelName(name)
    validateRegistryTag(tag)
    return this.#change(actor, (c) => this.store.setRegisteredModelTag(name, tag, c))
  }

  deleteRegisteredModelTag(name: string, key: string, actor: string): Promise<void> {
    validateModelName(name)
    return this.#change(actor, (c) => this.store.deleteRegisteredModelTag(name, key, c))
  }

  searchRegisteredModels(request: SearchRequest): Promise<Page<RegisteredModel>> {
    const maxResults = checkMaxResults(request.maxResults ?? 100, registryLimits.searchModelsMaxResults)
    return this.store.searchRegisteredModels(searchQuery(request, registeredModelGrammar, maxResults))
  }

  setAlias(name: string, alias: string, version: string, actor: string): Promise<void> {
    validateModelName(name)
    validateAlias(alias, { isBeingSet: true })
    const number = parseVersion(version)
    return this.#change(actor, (c) => this.store.setAlias(name, alias, number, c))
  }

  deleteAlias(name: string, alias: string, actor: string): Promise<void> {
    validateModelName(name)
    validateAlias(alias, { isBeingSet: false })
    return this.#change(actor, (c) => this.store.deleteAlias(name, alias, c))
  }

  /** `latest` (any case) is the newest version, as in MLflow. */
  getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name)
    validateAlias(alias, { isBeingSet: false })
    return resolveModelReference(this.store, { kind: 'alias', name, alias })
  }

  getLatestVersions(name: string, stages: readonly string[]): Promise<ModelVersion[]> {
    validateModelName(name)
    return this.store.getLatestVersions(name, stages.map(parseStage))
  }

  async createModelVersion(request: NewVersionRequest, actor: string): Promise<ModelVersion> {
    validateModelName(request.name)
    request.tags.forEach(validateRegistryTag)
    validateDescription(request.description ?? '')
    await this.store.getRegisteredModel(request.name)
    const resolved = await resolveVersionSource(request, {
      tracking: this.tracking,
      isOwnAuthority: this.#isOwnArtifactAuthority,
      resolveVersion: (ref) => resolveModelReference(this.store, ref),
    })
    return this.#change(actor, (c) =>
      this.store.createModelVersion({ ...resolved, name: request.name, runLink: request.runLink, description: request.description, tags: request.tags }, c),
    )
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    validateModelName(name)
    return this.store.getModelVersion(name, parseVersion(version))
  }

  updateModelVersion(name: string, version: string, description: string, actor: string): Promise<ModelVersion> {
    validateModelName(name)
    validateDescription(description)
    const number = parseVersion(version)
    return this.#change(actor, (c) => this.store.setModelVersionDescription(name, number, description, c))
  }

  /** archive_existing_versions is only allowed for Staging and Production (MLflow's rule). */
  transitionStage(name: string, version: string, stage: string, archiveExisting: boolean, actor: string): Promise<ModelVersion> {
    validateModelName(name)
    const number = parseVersion(version)
    const canonical = parseStage(stage)
    if (archiveExisting && canonical !== 'Staging' && canonical !== 'Production') {
      throw invalidParameter(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
      )
    }
    return this.#change(actor, (c) => this.store.transitionStage(name, number, canonical, archiveExisting, c))
  }

  deleteModelVersion(name: string, version: string, actor: string): Promise<void> {
    validateModelName(name)
    const number = parseVersion(version)
    return this.#change(actor, (c) => this.store.deleteModelVersion(name, number, c))
  }

  setModelVersionTag(name: string, version: string, tag: Tag, actor: string): Promise<void> {
    validateModelName(name)
    validateRegistryTag(tag)
    const number = parseVersion(version)
    return this.#change(actor, (c) => this.store.setModelVersionTag(name, number, tag, c))
  }

  deleteModelVersionTag(name: string, version: string, key: string, actor: string): Promise<void> {
    validateModelName(name)
    const number = parseVersion(version)
    return this.#change(actor, (c) => this.store.deleteModelVersionTag(name, number, key, c))
  }

  searchModelVersions(request: SearchRequest): Promise<Page<ModelVersion>> {
    const maxResults = checkMaxResults(request.maxResults ?? registryLimits.searchVersionsMaxResults, registryLimits.searchVersionsMaxResults)
    return this.store.searchModelVersions(searchQuery(request, modelVersionGrammar, maxResults))
  }

  /** The version's storage location (a `mlflow-artifacts:` URI for proxied artifacts), as MLflow answers. */
  async getDownloadUri(name: string, version: string): Promise<string> {
    return (await this.getModelVersion(name, version)).storageLocation
  }

  /** `models:/...` to a version (or logged model) and its storage location; for serving and deployments. */
  resolveModelUri(uri: string): Promise<ModelLocation> {
    return resolveModelUri(uri, { registry: this.store, tracking: this.tracking })
  }

  listEvents(query: { model?: string | undefined; afterId?: number | undefined; maxResults?: number | undefined }): Promise<RegistryEvent[]> {
    const maxResults = checkMaxResults(query.maxResults ?? 1000, 10_000)
    return this.store.listEvents({ model: query.model, afterId: query.afterId, maxResults })
  }
}

function checkMaxResults(maxResults: number, limit: number): number {
  if (maxResults < 1 || maxResults > limit) {
    throw invalidParameter(`Invalid value for request parameter max_results. It must be at most ${limit}, but got value ${maxResults}`)
  }
  return maxResults
}

/**
 * A filter naming `tags.mlflow.prompt.is_prompt` selects prompts or models; MLflow drops that
 * clause and uses an anti-join instead, because models simply lack the tag (SqlAlchemyStore's
 * `_update_query_to_exclude_prompts`). Without such a clause, prompts are excluded.
 */
function searchQuery(request: SearchRequest, grammar: SearchGrammar, maxResults: number): RegistrySearchQuery {
  const clauses = parseFilter(request.filter, grammar)
  const isPromptClause = (c: SearchClause) => c.entity === 'tag' && c.key === promptTagKey
  const first = clauses.find(isPromptClause)
  const value = typeof first?.value === 'string' ? first.value.toLowerCase() : undefined
  const isQueryingPrompts = (first?.comparator === '=' && value === 'true') || (first?.comparator === '!=' && value === 'false')
  return {
    clauses: clauses.filter((c) => !isPromptClause(c)),
    orderBy: parseOrderBy(request.orderBy, grammar),
    maxResults,
    pageToken: request.pageToken,
    prompts: isQueryingPrompts ? 'only' : 'exclude',
  }
}
