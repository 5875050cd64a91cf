import type { RegistryStore } from '../store/registry-store.js'
import { version as wharfVersion } from '../version.js'
import type { DueDelivery } from './entities.js'
import { toDeliveryBody } from './wharf-wire.js'
import { type SendResult, sendWebhook } from './webhook-sender.js'
import { requestTarget, signDelivery } from './webhook-signature.js'

export interface DispatcherOptions {
  /** The first retry waits this long; each later one twice as long as the one before. */
  readonly retryBaseMs: number
  /** Attempts per delivery, the first one included. */
  readonly maxAttempts: number
  readonly timeoutMs: number
  /** Longest sleep between looks at the queue (another process may have queued deliveries). */
  readonly pollMs?: number
  readonly batchSize?: number
  readonly now?: () => number
  readonly send?: (url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number) => Promise<SendResult>
  /**
   * The signing secret of a direct delivery (a monitoring alert), by the name of the environment
   * variable wharf.yaml gives for it; undefined when unset, and then nothing is sent unsigned.
   */
  readonly readSecret?: (name: string) => string | undefined
  readonly logger?: { warn(obj: object, msg: string): void } | undefined
}

/**
 * Sends queued webhook deliveries in the background of the server: the registry's webhook
 * deliveries and direct ones (monitoring alerts), signed alike. The queue is the store, so
 * deliveries survive restarts; a delivery claimed by a process that died is leased, not lost, and is
 * sent again when the lease runs out (at-least-once: receivers dedupe on `X-Wharf-Delivery`).
 */
export class WebhookDispatcher {
  readonly #store: RegistryStore
  readonly #options: Required<Omit<DispatcherOptions, 'logger' | 'readSecret'>> & Pick<DispatcherOptions, 'logger' | 'readSecret'>
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #isStopped = true
  #isWoken = false

  constructor(store: RegistryStore, options: DispatcherOptions) {
    this.#store = store
    this.#options = { pollMs: 1000, batchSize: 16, now: Date.now, send: sendWebhook, ...options }
  }

  start(): void {
    this.#isStopped = false
    this.wake()
  }

  /** Look at the queue now (called after every registry change). */
  wake(): void {
    if (this.#isStopped) return
    if (this.#running) {
      this.#isWoken = true
      return
    }
    this.#schedule(0)
  }

  /** Stops taking new work and waits for deliveries in flight to be recorded. */
  async stop(): Promise<void> {
    this.#isStopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().finally(() => (this.#running = undefined))
    }, delayMs)
    this.#timer.unref()
  }

  async #tick(): Promise<void> {
    let next: number | undefined
    try {
      do {
        this.#isWoken = false
        const now = this.#options.now()
        const due = await this.#store.claimDueDeliveries(now, this.#options.timeoutMs + 5000, this.#options.batchSize)
        await Promise.all(due.map((d) => this.#deliver(d)))
        if (due.length === this.#options.batchSize) this.#isWoken = true
      } while (this.#isWoken && !this.#isStopped)
      next = await this.#store.nextDeliveryTime()
    } catch (err) {
      this.#options.logger?.warn({ err }, 'webhook dispatcher could not read its queue')
    }
    if (this.#isStopped) return
    const untilNext = next === undefined ? this.#options.pollMs : Math.max(0, next - this.#options.now())
    this.#schedule(Math.min(untilNext, this.#options.pollMs))
  }

  async #deliver(d: DueDelivery): Promise<void> {
    const { now, send, timeoutMs } = this.#options
    const message =
      d.webhookId === undefined
        ? { type: d.eventType, body: d.body, secret: this.#options.readSecret?.(d.secretEnv), secretEnv: d.secretEnv }
        : { type: d.event.type, body: toDeliveryBody(d.deliveryId, d.event), secret: d.secret, secretEnv: undefined }
    const started = now()
    const timestamp = String(Math.floor(started / 1000))
    const result: SendResult =
      // Never sent unsigned: an alert whose secret variable is unset fails the attempt (and is retried).
      !message.secret
        ? { error: 'signing secret not set', detail: `the environment variable ${message.secretEnv} is not set` }
        : await send(
            d.url,
            {
              'content-type': 'application/json',
              'user-agent': `wharf-webhooks/${wharfVersion}`,
              'x-wharf-event': message.type,
              'x-wharf-delivery': d.deliveryId,
              'x-wharf-timestamp': timestamp,
              'x-wharf-signature': signDelivery(message.secret, { timestamp, method: 'POST', target: requestTarget(d.url), body: message.body }),
            },
            message.body,
            timeoutMs,
          )
    await this.#record(d, started, result)
  }

  async #record(d: DueDelivery, started: number, result: SendResult): Promise<void> {
    const { now, maxAttempts, retryBaseMs } = this.#options
    const attempt = d.attemptsMade + 1
    const isSuccess = result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300
    const finished = now()
    const outcome = isSuccess
      ? ({ status: 'succeeded' } as const)
      : attempt >= maxAttempts
        ? ({ status: 'failed' } as const)
        : ({ status: 'pending', nextAttemptTime: finished + retryBaseMs * 2 ** (attempt - 1) } as const)
    if (!isSuccess) {
      // The URL may carry a token in its query, and the secret never leaves the store: log ids only.
      // The detail (ECONNREFUSED ::1:port, ...) stays here; clients see only the generic error.
      this.#options.logger?.warn(
        { webhook_id: d.webhookId, delivery_id: d.deliveryId, attempt, status: result.statusCode, error: result.detail ?? result.error },
        'webhook delivery failed',
      )
    }
    await this.#store.recordAttempt(
      d.deliveryId,
      { attempt, time: started, statusCode: result.statusCode, error: result.error, latencyMs: finished - started },
      outcome,
    )
  }
}

/** A dispatcher already running: the server's one call, so queued deliveries go out from start-up on. */
export function startWebhookDispatcher(store: RegistryStore, options: DispatcherOptions): WebhookDispatcher {
  const dispatcher = new WebhookDispatcher(store, options)
  dispatcher.start()
  return dispatcher
}
