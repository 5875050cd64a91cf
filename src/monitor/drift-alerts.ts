import { randomUUID } from 'node:crypto'
import type { Logger } from '../logger.js'
import type { DirectDelivery } from '../registry/index.js'
import type { RegistryStore } from '../store/registry-store.js'

export interface Breach {
  readonly kind: 'feature_psi' | 'feature_ks' | 'prediction_psi'
  readonly feature?: string | undefined
  readonly value: number
  readonly threshold: number
}

export interface DriftAlert {
  readonly environment: string
  readonly model: string
  readonly version: string
  readonly breaches: readonly Breach[]
  readonly window: { readonly rows: number }
}

export interface AlertReceiver {
  readonly url: string
  /** The name of the environment variable holding the signing secret. */
  readonly secretEnv: string
}

/** The part of the registry store that queues webhook deliveries (the server's one queue). */
export type AlertQueue = Pick<RegistryStore, 'enqueueDirectDelivery' | 'listDirectDeliveries'>

export interface AlertSenderOptions {
  readonly queue: AlertQueue
  /** Tells the webhook dispatcher to look at the queue now. */
  readonly wake: () => void
  readonly now?: () => number
  readonly logger?: Logger | undefined
}

/** Alerts are listed under this subject, one per deployed model. */
export const alertSubject = (environment: string, model: string) => `${environment}/${model}`

/**
 * Queues `monitor.alert` webhooks in the store beside the registry's deliveries; the registry's
 * dispatcher sends them, signed exactly as registry deliveries are (X-Wharf-Signature: HMAC-SHA256
 * over timestamp, method, target and body; no redirects; blocked addresses refused), with its
 * leases and retries. A breach found just before a restart is therefore sent after it, and each
 * alert keeps one delivery id across attempts, so receivers dedupe on `X-Wharf-Delivery`. The
 * secret stays in the server's environment: the queue holds the variable's name, read at send time.
 */
export class AlertSender {
  readonly #options: AlertSenderOptions

  constructor(options: AlertSenderOptions) {
    this.#options = options
  }

  async send(receivers: readonly AlertReceiver[], alert: DriftAlert): Promise<void> {
    const time = (this.#options.now ?? Date.now)()
    for (const receiver of receivers) {
      const deliveryId = randomUUID()
      const body = JSON.stringify({
        delivery_id: deliveryId,
        event: 'monitor.alert',
        time,
        model_name: alert.model,
        version: alert.version,
        environment: alert.environment,
        breaches: alert.breaches.map((b) => ({ kind: b.kind, feature: b.feature ?? null, value: b.value, threshold: b.threshold })),
        window: alert.window,
      })
      await this.#options.queue.enqueueDirectDelivery({
        deliveryId,
        url: receiver.url,
        secretEnv: receiver.secretEnv,
        eventType: 'monitor.alert',
        body,
        subject: alertSubject(alert.environment, alert.model),
        time,
      })
    }
    if (receivers.length > 0)
      this.#options.logger?.info({ environment: alert.environment, model: alert.model, receivers: receivers.length }, 'monitor alert queued')
    this.#options.wake()
  }

  /** The alerts queued for a deployed model, newest first, with their attempts. */
  list(environment: string, model: string, maxResults: number): Promise<DirectDelivery[]> {
    return this.#options.queue.listDirectDeliveries(alertSubject(environment, model), maxResults)
  }
}
