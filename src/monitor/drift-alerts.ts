import { randomUUID } from 'node:crypto'
import type { Logger } from '../logger.js'
import { requestTarget, sendWebhook, signDelivery } from '../registry/index.js'
import { version as wharfVersion } from '../version.js'

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

export interface AlertSenderOptions {
  /** Where secrets named by `secretEnv` are looked up (the server's environment). */
  readonly secrets: Readonly<Record<string, string | undefined>>
  readonly timeoutMs?: number
  /** Attempts per receiver, the first one included (kept in memory: an alert is about now). */
  readonly maxAttempts?: number
  readonly retryBaseMs?: number
  readonly logger?: Logger | undefined
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Sends `monitor.alert` webhooks, signed and sent exactly as registry deliveries are
 * (X-Wharf-Signature: HMAC-SHA256 over timestamp, method, target and body; no redirects; blocked
 * addresses refused), so one receiver verifies both the same way. Never sends unsigned: a receiver
 * whose secret variable is unset is skipped with an error in the log.
 */
export class AlertSender {
  readonly #options: AlertSenderOptions

  constructor(options: AlertSenderOptions) {
    this.#options = options
  }

  async send(receivers: readonly AlertReceiver[], alert: DriftAlert): Promise<void> {
    await Promise.all(receivers.map((r) => this.#deliver(r, alert)))
  }

  async #deliver(receiver: AlertReceiver, alert: DriftAlert): Promise<void> {
    const { logger, timeoutMs = 5000, maxAttempts = 3, retryBaseMs = 1000 } = this.#options
    const secret = this.#options.secrets[receiver.secretEnv]
    if (!secret) return logger?.error({ secret_env: receiver.secretEnv }, 'monitor alert not sent: its secret variable is not set')
    const deliveryId = randomUUID()
    const body = JSON.stringify({
      delivery_id: deliveryId,
      event: 'monitor.alert',
      time: Date.now(),
      model_name: alert.model,
      version: alert.version,
      environment: alert.environment,
      breaches: alert.breaches.map((b) => ({ kind: b.kind, feature: b.feature ?? null, value: b.value, threshold: b.threshold })),
      window: alert.window,
    })
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const timestamp = String(Math.floor(Date.now() / 1000))
      const headers = {
        'content-type': 'application/json',
        'user-agent': `wharf-webhooks/${wharfVersion}`,
        'x-wharf-event': 'monitor.alert',
        'x-wharf-delivery': deliveryId,
        'x-wharf-timestamp': timestamp,
        'x-wharf-signature': signDelivery(secret, { timestamp, method: 'POST', target: requestTarget(receiver.url), body }),
      }
      const result = await sendWebhook(receiver.url, headers, body, timeoutMs)
      if (result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300) return
      logger?.warn({ delivery_id: deliveryId, attempt, status: result.statusCode, reason: result.detail ?? result.error }, 'monitor alert delivery failed')
      if (attempt < maxAttempts) await sleep(retryBaseMs * 2 ** (attempt - 1))
    }
  }
}
