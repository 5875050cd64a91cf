import { randomBytes, randomUUID } from 'node:crypto'
import { invalidParameter } from '../errors.js'
import type { RegistryStore } from '../store/registry-store.js'
import type { Webhook, WebhookDelivery } from './entities.js'
import { validateEventFilter } from './event-filter.js'
import { validateModelName } from './validation.js'
import { type Resolver, validateWebhookUrl } from './webhook-url.js'

export interface WebhookServiceOptions {
  readonly now?: () => number
  /** DNS for the registration check; tests pass a fake. */
  readonly resolve?: Resolver
}

export interface NewWebhookRequest {
  readonly url: string
  readonly events: readonly string[]
  readonly modelName?: string | undefined
  readonly description?: string | undefined
  readonly secret?: string | undefined
}

/** Webhook registrations. The secret is write-only: returned once when Wharf generated it, never listed. */
export class WebhookService {
  readonly #now: () => number
  readonly #resolve: Resolver | undefined

  constructor(
    readonly store: RegistryStore,
    options: WebhookServiceOptions = {},
  ) {
    this.#now = options.now ?? Date.now
    this.#resolve = options.resolve
  }

  async create(request: NewWebhookRequest): Promise<{ webhook: Webhook; generatedSecret?: string | undefined }> {
    validateEventFilter(request.events)
    if (request.modelName !== undefined) validateModelName(request.modelName, 'model_name')
    if (request.secret !== undefined && (request.secret.length < 8 || request.secret.length > 1024)) {
      throw invalidParameter("'secret' must be 8 to 1024 characters long.")
    }
    if ((request.description?.length ?? 0) > 1000) throw invalidParameter("'description' must be at most 1000 characters long.")
    const url = await validateWebhookUrl(request.url, this.#resolve)
    const generatedSecret = request.secret === undefined ? randomBytes(32).toString('hex') : undefined
    const webhook = await this.store.createWebhook({
      webhookId: randomUUID(),
      url,
      events: [...new Set(request.events)],
      modelName: request.modelName,
      description: request.description,
      secret: request.secret ?? (generatedSecret as string),
      time: this.#now(),
    })
    return { webhook, generatedSecret }
  }

  list(): Promise<Webhook[]> {
    return this.store.listWebhooks()
  }

  delete(webhookId: string): Promise<void> {
    return this.store.deleteWebhook(webhookId)
  }

  listDeliveries(webhookId: string, maxResults = 100): Promise<WebhookDelivery[]> {
    if (maxResults < 1 || maxResults > 1000) throw invalidParameter('max_results must be between 1 and 1000.')
    return this.store.listDeliveries(webhookId, maxResults)
  }
}
