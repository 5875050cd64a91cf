import { randomUUID } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import { notFound } from '../../errors.js'
import type {
  ChangeContext,
  DeliveryAttempt,
  DirectDelivery,
  DueDelivery,
  NewDirectDelivery,
  RegistryEvent,
  RegistryEventType,
  Webhook,
  WebhookDelivery,
} from '../../registry/entities.js'
import { matchesEventFilter } from '../../registry/event-filter.js'
import type { DeliveryOutcome, EventQuery, NewWebhook } from '../registry-store.js'
import {
  type AttemptRow,
  type ClaimedRow,
  claimedColumns,
  type DeliveryRow,
  type DirectDeliveryRow,
  type EventRow,
  type WebhookRow,
  toAttempt,
  toDeliveryStatus,
  toDirectDelivery,
  toDueDelivery,
  toEvent,
  toWebhook,
} from './registry-rows.js'

/** One change to record: which model (by key and current name), what, and its details. */
export interface EventInput {
  readonly type: RegistryEventType
  readonly modelKey: number
  readonly modelName: string
  readonly version?: number | undefined
  readonly alias?: string | undefined
  readonly data?: Readonly<Record<string, unknown>>
}

/**
 * The registry's event log and webhook queue, the part of the SQLite registry store that holds
 * them. `record` must run inside the caller's transaction: that is what makes an event and its
 * deliveries commit with the change, or not at all.
 */
export class SqliteRegistryEvents {
  readonly #db: Database

  constructor(db: Database) {
    this.#db = db
  }

  record(input: EventInput, change: ChangeContext): void {
    const info = this.#db
      .prepare('INSERT INTO registry_events (time, actor, type, model_key, model_name, version, alias, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        change.time,
        change.actor,
        input.type,
        input.modelKey,
        input.modelName,
        input.version === undefined ? null : String(input.version),
        input.alias ?? null,
        JSON.stringify(input.data ?? {}),
      )
    const eventId = Number(info.lastInsertRowid)
    const hooks = this.#db.prepare('SELECT * FROM webhooks WHERE model_name IS NULL OR model_name = ?').all(input.modelName) as WebhookRow[]
    const enqueue = this.#db.prepare(
      "INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_id, status, next_attempt_time, creation_time) VALUES (?, ?, ?, 'pending', ?, ?)",
    )
    for (const hook of hooks) {
      if (matchesEventFilter(JSON.parse(hook.events) as string[], input.type)) enqueue.run(randomUUID(), hook.webhook_id, eventId, change.time, change.time)
    }
  }

  /** Webhooks bound to a model follow it when it is renamed. Runs inside the rename's transaction. */
  renameModel(oldName: string, newName: string): void {
    this.#db.prepare('UPDATE webhooks SET model_name = ? WHERE model_name = ?').run(newName, oldName)
  }

  list(query: EventQuery): RegistryEvent[] {
    const after = query.afterId ?? 0
    if (query.model === undefined) {
      const rows = this.#db.prepare('SELECT * FROM registry_events WHERE event_id > ? ORDER BY event_id LIMIT ?').all(after, query.maxResults)
      return (rows as EventRow[]).map(toEvent)
    }
    const current = this.#db.prepare('SELECT model_key FROM registered_models WHERE name = ?').get(query.model) as { model_key: number } | undefined
    const rows = current
      ? this.#db
          .prepare('SELECT * FROM registry_events WHERE model_key = ? AND event_id > ? ORDER BY event_id LIMIT ?')
          .all(current.model_key, after, query.maxResults)
      : this.#db
          .prepare('SELECT * FROM registry_events WHERE model_name = ? AND event_id > ? ORDER BY event_id LIMIT ?')
          .all(query.model, after, query.maxResults)
    return (rows as EventRow[]).map(toEvent)
  }

  createWebhook(input: NewWebhook): Webhook {
    this.#db
      .prepare('INSERT INTO webhooks (webhook_id, url, events, model_name, description, secret, creation_time) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(input.webhookId, input.url, JSON.stringify(input.events), input.modelName ?? null, input.description ?? null, input.secret, input.time)
    return toWebhook(this.#webhookRow(input.webhookId))
  }

  listWebhooks(): Webhook[] {
    return (this.#db.prepare('SELECT * FROM webhooks ORDER BY creation_time, webhook_id').all() as WebhookRow[]).map(toWebhook)
  }

  deleteWebhook(webhookId: string): void {
    this.#webhookRow(webhookId)
    this.#db.prepare('DELETE FROM webhooks WHERE webhook_id = ?').run(webhookId)
  }

  listDeliveries(webhookId: string, maxResults: number): WebhookDelivery[] {
    this.#webhookRow(webhookId)
    const rows = this.#db
      .prepare('SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY creation_time DESC, rowid DESC LIMIT ?')
      .all(webhookId, maxResults) as DeliveryRow[]
    const attempts = this.#db.prepare('SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt')
    return rows.map((row) => ({
      deliveryId: row.delivery_id,
      webhookId: row.webhook_id,
      event: this.#event(row.event_id),
      status: toDeliveryStatus(row.status),
      attempts: (attempts.all(row.delivery_id) as AttemptRow[]).map(toAttempt),
      nextAttemptTime: row.status === 'pending' ? (row.next_attempt_time ?? undefined) : undefined,
      creationTimestamp: row.creation_time,
    }))
  }

  enqueueDirect(input: NewDirectDelivery): void {
    this.#db
      .prepare(
        `INSERT INTO webhook_deliveries (delivery_id, url, secret_env, event_type, body, subject, status, next_attempt_time, creation_time)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(input.deliveryId, input.url, input.secretEnv, input.eventType, input.body, input.subject, input.time, input.time)
  }

  listDirect(subject: string, maxResults: number): DirectDelivery[] {
    const rows = this.#db
      .prepare('SELECT * FROM webhook_deliveries WHERE subject = ? ORDER BY creation_time DESC, rowid DESC LIMIT ?')
      .all(subject, maxResults) as DirectDeliveryRow[]
    const attempts = this.#db.prepare('SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt')
    return rows.map((row) => toDirectDelivery(row, attempts.all(row.delivery_id) as AttemptRow[]))
  }

  claimDue(now: number, leaseMs: number, limit: number): DueDelivery[] {
    return this.#db.transaction(() => {
      const rows = this.#db
        .prepare(
          `SELECT ${claimedColumns} FROM webhook_deliveries d
           LEFT JOIN webhooks w ON w.webhook_id = d.webhook_id
           WHERE d.status = 'pending' AND d.next_attempt_time <= ? ORDER BY d.next_attempt_time, d.rowid LIMIT ?`,
        )
        .all(now, limit) as ClaimedRow[]
      const lease = this.#db.prepare('UPDATE webhook_deliveries SET next_attempt_time = ? WHERE delivery_id = ?')
      for (const r of rows) lease.run(now + leaseMs, r.delivery_id)
      return rows.map((r) => toDueDelivery(r, (id) => this.#event(id)))
    })()
  }

  recordAttempt(deliveryId: string, attempt: DeliveryAttempt, outcome: DeliveryOutcome): void {
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO webhook_attempts (delivery_id, attempt, time, status_code, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?)')
        .run(deliveryId, attempt.attempt, attempt.time, attempt.statusCode ?? null, attempt.error ?? null, attempt.latencyMs)
      this.#db
        .prepare('UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_time = ? WHERE delivery_id = ?')
        .run(outcome.status, attempt.attempt, outcome.status === 'pending' ? outcome.nextAttemptTime : null, deliveryId)
    })()
  }

  nextDeliveryTime(): number | undefined {
    const row = this.#db.prepare("SELECT min(next_attempt_time) AS t FROM webhook_deliveries WHERE status = 'pending'").get() as { t: number | null }
    return row.t ?? undefined
  }

  #webhookRow(webhookId: string): WebhookRow {
    const row = this.#db.prepare('SELECT * FROM webhooks WHERE webhook_id = ?').get(webhookId) as WebhookRow | undefined
    if (!row) throw notFound(`Webhook '${webhookId}' does not exist.`)
    return row
  }

  #event(eventId: number): RegistryEvent {
    return toEvent(this.#db.prepare('SELECT * FROM registry_events WHERE event_id = ?').get(eventId) as EventRow)
  }
}
