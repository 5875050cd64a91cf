import assert from 'node:assert/strict'
import { type IncomingMessage, type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { SqliteRegistryStore } from '../store/sqlite/registry-store.js'
import { SqliteTrackingStore } from '../store/sqlite/tracking-store.js'
import type { WebhookDelivery } from './entities.js'
import { RegistryService } from './registry-service.js'
import { WebhookDispatcher } from './webhook-dispatcher.js'
import { sendWebhook } from './webhook-sender.js'
import { isValidSignature } from './webhook-signature.js'
import { waitFor } from '../testing/fixtures.js'

interface Received {
  readonly headers: IncomingMessage['headers']
  readonly body: string
  readonly target: string
}

/** A real receiver on 127.0.0.1:0 that answers each request with the next status in `plan` (then 200). */
async function startReceiver(plan: number[], respond?: (res: import('node:http').ServerResponse, status: number) => void) {
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c))
    req.on('end', () => {
      received.push({ headers: req.headers, body, target: req.url ?? '' })
      const status = plan.shift() ?? 200
      if (respond) respond(res, status)
      else res.writeHead(status).end('ignored body')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('webhook dispatcher', () => {
  let tracking: SqliteTrackingStore
  let store: SqliteRegistryStore
  let dispatcher: WebhookDispatcher
  let registry: RegistryService
  let runUri: string
  let runId: string
  before(async () => {
    tracking = new SqliteTrackingStore(':memory:', { durability: 'normal' })
    store = new SqliteRegistryStore(':memory:', { durability: 'normal' })
    dispatcher = new WebhookDispatcher(store, {
      retryBaseMs: 30,
      maxAttempts: 3,
      timeoutMs: 2000,
      pollMs: 50,
      readSecret: (name) => (name === 'ALERT_SECRET' ? 'alert-secret-for-tests' : undefined),
    })
    registry = new RegistryService(store, tracking, { onChange: () => dispatcher.wake() })
    dispatcher.start()
    const run = await tracking.createRun({ runId: 'a'.repeat(32), experimentId: '0', runName: 'r', userId: 'u', startTime: 1, tags: [] })
    ;({ artifactUri: runUri, runId } = run.info)
  })
  after(async () => {
    await dispatcher.stop()
    await store.close()
    await tracking.close()
  })
  const deliveriesOf = (webhookId: string) => store.listDeliveries(webhookId, 10)
  const settled = (webhookId: string) => async () => {
    const [d] = await deliveriesOf(webhookId)
    return d && d.status !== 'pending' ? d : undefined
  }

  it('sends a direct delivery (an alert) with its stored body, signed with the secret its variable holds; never unsigned', async () => {
    const receiver = await startReceiver([503])
    try {
      const body = JSON.stringify({ delivery_id: 'alert-1', event: 'monitor.alert' })
      const base = { url: receiver.url, eventType: 'monitor.alert', body, subject: 'production/direct', time: Date.now() }
      await store.enqueueDirectDelivery({ ...base, deliveryId: 'alert-1', secretEnv: 'ALERT_SECRET' })
      await store.enqueueDirectDelivery({ ...base, deliveryId: 'alert-unset', secretEnv: 'UNSET_SECRET' })
      dispatcher.wake()
      const settledAll = await waitFor('both alerts settled', async () => {
        const all = await store.listDirectDeliveries('production/direct', 10)
        return all.length === 2 && all.every((d) => d.status !== 'pending') && all
      })
      const byId = new Map(settledAll.map((d) => [d.deliveryId, d]))
      assert.equal(byId.get('alert-1')?.status, 'succeeded')
      assert.deepEqual(
        byId.get('alert-1')?.attempts.map((a) => a.statusCode),
        [503, 200],
      )
      assert.equal(receiver.received.length, 2, 'only the alert with a secret reached the receiver')
      for (const r of receiver.received) {
        assert.equal(r.body, body)
        assert.equal(r.headers['x-wharf-event'], 'monitor.alert')
        assert.equal(r.headers['x-wharf-delivery'], 'alert-1')
        const signed = { timestamp: String(r.headers['x-wharf-timestamp']), method: 'POST', target: r.target, body: r.body }
        assert.ok(isValidSignature('alert-secret-for-tests', signed, String(r.headers['x-wharf-signature'])))
      }
      assert.equal(byId.get('alert-unset')?.status, 'failed')
      assert.deepEqual(
        byId.get('alert-unset')?.attempts.map((a) => [a.statusCode, a.error]),
        [
          [undefined, 'signing secret not set'],
          [undefined, 'signing secret not set'],
          [undefined, 'signing secret not set'],
        ],
      )
    } finally {
      await receiver.close()
    }
  })

  it('signs each delivery, retries the two failures with backoff and records all three attempts', async () => {
    const receiver = await startReceiver([500, 503])
    try {
      const secret = 'webhook-secret-for-tests'
      const { webhook } = await registry.webhooks.create({ url: receiver.url, events: ['alias.set'], modelName: 'signed', secret })
      await registry.createRegisteredModel({ name: 'signed', tags: [] }, 'alice')
      await registry.createModelVersion({ name: 'signed', source: `${runUri}/model`, runId, tags: [] }, 'alice')
      await registry.setAlias('signed', 'champion', '1', 'alice')
      const delivery: WebhookDelivery = await waitFor('the delivery to settle', settled(webhook.webhookId))
      assert.equal(delivery.status, 'succeeded')
      assert.deepEqual(
        delivery.attempts.map((a) => a.statusCode),
        [500, 503, 200],
      )
      assert.ok(delivery.attempts.every((a) => a.latencyMs >= 0 && a.error === undefined))
      const gaps = delivery.attempts.slice(1).map((a, i) => a.time - delivery.attempts[i]!.time)
      assert.ok(gaps[0]! >= 30 && gaps[1]! >= 60, `backoff doubles: ${gaps.join(', ')}`)

      assert.equal(receiver.received.length, 3)
      const ids = new Set(receiver.received.map((r) => r.headers['x-wharf-delivery']))
      assert.deepEqual([...ids], [delivery.deliveryId], 'every attempt carries the same delivery id')
      for (const r of receiver.received) {
        const timestamp = String(r.headers['x-wharf-timestamp'])
        assert.match(timestamp, /^\d{10}$/)
        const signed = { timestamp, method: 'POST', target: r.target, body: r.body }
        assert.equal(r.target, '/hook')
        assert.ok(isValidSignature(secret, signed, String(r.headers['x-wharf-signature'])), 'the HMAC verifies')
        assert.ok(!isValidSignature('wrong-secret', signed, String(r.headers['x-wharf-signature'])))
        assert.ok(!isValidSignature(secret, { ...signed, target: '/hook?x=1' }, String(r.headers['x-wharf-signature'])), 'the query is signed')
        assert.equal(r.headers['content-type'], 'application/json')
        assert.equal(r.headers['x-wharf-event'], 'alias.set')
      }
      const body = JSON.parse(receiver.received[2]!.body)
      assert.deepEqual(
        { ...body, time: 0, event_id: 0 },
        {
          delivery_id: delivery.deliveryId,
          event_id: 0,
          event: 'alias.set',
          model: 'signed',
          version: '1',
          alias: 'champion',
          time: 0,
          actor: 'alice',
          data: {},
        },
      )
    } finally {
      await receiver.close()
    }
  })

  it('gives up after the last attempt and marks the delivery failed', async () => {
    const receiver = await startReceiver([500, 500, 500, 500])
    try {
      const { webhook } = await registry.webhooks.create({
        url: receiver.url,
        events: ['registered_model.created'],
        modelName: 'hopeless',
        secret: 'secret-123',
      })
      await registry.createRegisteredModel({ name: 'hopeless', tags: [] }, 'alice')
      const delivery = await waitFor('the delivery to fail', settled(webhook.webhookId))
      assert.equal(delivery.status, 'failed')
      assert.equal(delivery.attempts.length, 3)
      assert.equal(receiver.received.length, 3)
    } finally {
      await receiver.close()
    }
  })

  it('does not follow redirects and records a refused connection as an error', async () => {
    const target = await startReceiver([])
    const redirecting = await startReceiver([302, 302, 302], (res, status) => res.writeHead(status, { location: target.url }).end())
    try {
      const { webhook } = await registry.webhooks.create({
        url: redirecting.url,
        events: ['registered_model.created'],
        modelName: 'redirected',
        secret: 'secret-123',
      })
      const closed = await registry.webhooks.create({
        url: 'http://127.0.0.1:1/nothing-listens',
        events: ['registered_model.created'],
        modelName: 'redirected',
        secret: 'secret-123',
      })
      await registry.createRegisteredModel({ name: 'redirected', tags: [] }, 'alice')
      const delivery = await waitFor('the redirected delivery to fail', settled(webhook.webhookId))
      assert.deepEqual(
        delivery.attempts.map((a) => a.statusCode),
        [302, 302, 302],
      )
      assert.equal(target.received.length, 0, 'the redirect target was never called')
      const refused = await waitFor('the refused delivery to fail', settled(closed.webhook.webhookId))
      assert.equal(refused.attempts[0]!.error, 'connection failed')
    } finally {
      await Promise.all([target.close(), redirecting.close()])
    }
  })

  it('refuses to send to a link-local or metadata address even if one was stored', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
      'http://168.63.129.16/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[::a9fe:a9fe]/',
    ]) {
      const result = await sendWebhook(url, {}, '{}', 500)
      assert.equal(result.statusCode, undefined, url)
      assert.match(result.error ?? '', /refused/, url)
    }
  })
})
