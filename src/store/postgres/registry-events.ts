import { randomUUID } from 'node:crypto'
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
} from '../sqlite/registry-rows.js'
import type { PgDatabase, PgExecutor } from './database.js'

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
 * The registry's event log and webhook queue on PostgreSQL. `record` runs on the caller's
 * transaction, so an event and its deliveries commit with the change or not at all. Deliveries are
 * claimed with `FOR UPDATE SKIP LOCKED` and leased, so several server replicas sharing the
 * database never claim the same delivery twice, and a replica that dies mid-send leaves its lease
 * to expire and the delivery to another replica.
 */
export class PostgresRegistryEvents {
  readonly #db: PgDatabase

  constructor(db: PgDatabase) {
    this.#db = db
  }

  async record(q: PgExecutor, input: EventInput, change: ChangeContext): Promise<void> {
    const event = await q.get<{ event_id: number }>(
      'INSERT INTO registry_events (time, actor, type, model_key, model_name, version, alias, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING event_id',
      [
        change.time,
        change.actor,
        input.type,
        input.modelKey,
        input.modelName,
        input.version === undefined ? null : String(input.version),
        input.alias ?? null,
        JSON.stringify(input.data ?? {}),
      ],
    )
    const hooks = await q.all<WebhookRow>('SELECT * FROM webhooks WHERE model_name IS NULL OR model_name = ? ORDER BY creation_time, webhook_id', [
      input.modelName,
    ])
    for (const hook of hooks) {
      if (!matchesEventFilter(JSON.parse(hook.events) as string[], input.type)) continue
      await q.run(
        "INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_id, status, next_attempt_time, creation_time) VALUES (?, ?, ?, 'pending', ?, ?)",
        [randomUUID(), hook.webhook_id, event!.event_id, change.time, change.time],
      )
    }
  }

  /** Webhooks bound to a model follow it when it is renamed. Runs inside the rename's transaction. */
  async renameModel(q: PgExecutor, oldName: string, newName: string): Promise<void> {
    await q.run('UPDATE webhooks SET model_name = ? WHERE model_name = ?', [newName, oldName])
  }

  async list(query: EventQuery): Promise<RegistryEvent[]> {
    const after = query.afterId ?? 0
    if (query.model === undefined) {
      return (await this.#db.all<EventRow>('SELECT * FROM registry_events WHERE event_id > ? ORDER BY event_id LIMIT ?', [after, query.maxResults])).map(
        toEvent,
      )
    }
    const current = await this.#db.get<{ model_key: number }>('SELECT model_key FROM registered_models WHERE name = ?', [query.model])
    const rows = current
      ? await this.#db.all<EventRow>('SELECT * FROM registry_events WHERE model_key = ? AND event_id > ? ORDER BY event_id LIMIT ?', [
          current.model_key,
          after,
          query.maxResults,
        ])
      : await this.#db.all<EventRow>('SELECT * FROM registry_events WHERE model_name = ? AND event_id > ? ORDER BY event_id LIMIT ?', [
          query.model,
          after,
          query.maxResults,
        ])
    return rows.map(toEvent)
  }

  async createWebhook(input: NewWebhook): Promise<Webhook> {
    await this.#db.run('INSERT INTO webhooks (webhook_id, url, events, model_name, description, secret, creation_time) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      input.webhookId,
      input.url,
      JSON.stringify(input.events),
      input.modelName ?? null,
      input.description ?? null,
      input.secret,
      input.time,
    ])
    return toWebhook(await this.#webhookRow(input.webhookId))
  }

  async listWebhooks(): Promise<Webhook[]> {
    return (await this.#db.all<WebhookRow>('SELECT * FROM webhooks ORDER BY creation_time, webhook_id')).map(toWebhook)
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    await this.#webhookRow(webhookId)
    await this.#db.run('DELETE FROM webhooks WHERE webhook_id = ?', [webhookId])
  }

  async listDeliveries(webhookId: string, maxResults: number): Promise<WebhookDelivery[]> {
    await this.#webhookRow(webhookId)
    const rows = await this.#db.all<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY creation_time DESC, seq DESC LIMIT ?', [
      webhookId,
      maxResults,
    ])
    const attempts = await this.#db.all<AttemptRow>('SELECT * FROM webhook_attempts WHERE delivery_id = ANY(?::text[]) ORDER BY attempt', [
      rows.map((r) => r.delivery_id),
    ])
    const events = await this.#events(rows.map((r) => r.event_id))
    return rows.map((row) => ({
      deliveryId: row.delivery_id,
      webhookId: row.webhook_id,
      event: events.get(row.event_id) as RegistryEvent,
      status: toDeliveryStatus(row.status),
      attempts: attempts.filter((a) => a.delivery_id === row.delivery_id).map(toAttempt),
      nextAttemptTime: row.status === 'pending' ? (row.next_attempt_time ?? undefined) : undefined,
      creationTimestamp: row.creation_time,
    }))
  }

  async enqueueDirect(input: NewDirectDelivery): Promise<void> {
    await this.#db.run(
      `INSERT INTO webhook_deliveries (delivery_id, url, secret_env, event_type, body, subject, status, next_attempt_time, creation_time)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      [input.deliveryId, input.url, input.secretEnv, input.eventType, input.body, input.subject, input.time, input.time],
    )
  }

  async listDirect(subject: string, maxResults: number): Promise<DirectDelivery[]> {
    const rows = await this.#db.all<DirectDeliveryRow>('SELECT * FROM webhook_deliveries WHERE subject = ? ORDER BY creation_time DESC, seq DESC LIMIT ?', [
      subject,
      maxResults,
    ])
    const attempts = await this.#db.all<AttemptRow>('SELECT * FROM webhook_attempts WHERE delivery_id = ANY(?::text[]) ORDER BY attempt', [
      rows.map((r) => r.delivery_id),
    ])
    return rows.map((row) =>
      toDirectDelivery(
        row,
        attempts.filter((a) => a.delivery_id === row.delivery_id),
      ),
    )
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<DueDelivery[]> {
    // One statement: the rows another replica has locked are skipped, the rest leased and returned.
    const claimed = await this.#db.all<ClaimedRow & { due: number; seq: number }>(
      `WITH due AS (
         SELECT delivery_id, next_attempt_time AS due FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_time <= ?
         ORDER BY next_attempt_time, seq LIMIT ? FOR UPDATE SKIP LOCKED),
       leased AS (
         UPDATE webhook_deliveries d SET next_attempt_time = ? FROM due WHERE d.delivery_id = due.delivery_id RETURNING d.*, due.due)
       SELECT ${claimedColumns}, d.due, d.seq FROM leased d LEFT JOIN webhooks w ON w.webhook_id = d.webhook_id`,
      [now, limit, now + leaseMs],
    )
    // RETURNING keeps no order: oldest due first, as on SQLite.
    const rows = claimed.sort((a, b) => a.due - b.due || a.seq - b.seq)
    const events = await this.#events(rows.flatMap((r) => (r.event_id === null ? [] : [r.event_id])))
    return rows.map((r) => toDueDelivery(r, (id) => events.get(id) as RegistryEvent))
  }

  async recordAttempt(deliveryId: string, attempt: DeliveryAttempt, outcome: DeliveryOutcome): Promise<void> {
    await this.#db.tx(async (q) => {
      await q.run(
        'INSERT INTO webhook_attempts (delivery_id, attempt, time, status_code, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [deliveryId, attempt.attempt, attempt.time, attempt.statusCode ?? null, attempt.error ?? null, attempt.latencyMs],
      )
      await q.run('UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_time = ? WHERE delivery_id = ?', [
        outcome.status,
        attempt.attempt,
        outcome.status === 'pending' ? outcome.nextAttemptTime : null,
        deliveryId,
      ])
    })
  }

  async nextDeliveryTime(): Promise<number | undefined> {
    const row = await this.#db.get<{ t: number | null }>("SELECT min(next_attempt_time) AS t FROM webhook_deliveries WHERE status = 'pending'")
    return row?.t ?? undefined
  }

  async #webhookRow(webhookId: string): Promise<WebhookRow> {
    const row = await this.#db.get<WebhookRow>('SELECT * FROM webhooks WHERE webhook_id = ?', [webhookId])
    if (!row) throw notFound(`Webhook '${webhookId}' does not exist.`)
    return row
  }

  async #events(eventIds: readonly number[]): Promise<Map<number, RegistryEvent>> {
    const rows = await this.#db.all<EventRow>('SELECT * FROM registry_events WHERE event_id = ANY(?::bigint[])', [[...new Set(eventIds)]])
    return new Map(rows.map((r) => [r.event_id, toEvent(r)]))
  }
}
