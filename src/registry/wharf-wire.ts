import type { DeliveryAttempt, DirectDelivery, RegistryEvent, Webhook, WebhookDelivery } from './entities.js'

/** Wharf's own registry endpoints (events, webhooks) in snake_case JSON; unset fields left out. */
type Json = Record<string, unknown>

const compact = (o: Json): Json => {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === null) delete o[k]
  return o
}

export const toWireEvent = (e: RegistryEvent): Json =>
  compact({ event_id: e.eventId, event: e.type, model: e.model, version: e.version, alias: e.alias, time: e.time, actor: e.actor, data: e.data })

/** The JSON body POSTed to a webhook: the event plus the delivery id (also in `X-Wharf-Delivery`). */
export const toDeliveryBody = (deliveryId: string, e: RegistryEvent): string => JSON.stringify({ delivery_id: deliveryId, ...toWireEvent(e) })

/** Never includes the secret. */
export const toWireWebhook = (w: Webhook): Json =>
  compact({
    webhook_id: w.webhookId,
    url: w.url,
    events: w.events,
    model_name: w.modelName,
    description: w.description,
    creation_timestamp: w.creationTimestamp,
  })

export const toWireAttempt = (a: DeliveryAttempt): Json =>
  compact({ attempt: a.attempt, time: a.time, status_code: a.statusCode, error: a.error, latency_ms: a.latencyMs })

export const toWireDelivery = (d: WebhookDelivery): Json =>
  compact({
    delivery_id: d.deliveryId,
    webhook_id: d.webhookId,
    status: d.status,
    event: toWireEvent(d.event),
    attempts: d.attempts.map(toWireAttempt),
    next_attempt_time: d.nextAttemptTime,
    creation_timestamp: d.creationTimestamp,
  })

/** A direct delivery (a monitoring alert) without its URL, which may carry a token in its query. */
export const toWireDirectDelivery = (d: DirectDelivery): Json =>
  compact({
    delivery_id: d.deliveryId,
    event: d.eventType,
    status: d.status,
    body: JSON.parse(d.body) as unknown,
    attempts: d.attempts.map(toWireAttempt),
    next_attempt_time: d.nextAttemptTime,
    creation_timestamp: d.creationTimestamp,
  })
