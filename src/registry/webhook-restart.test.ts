import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { type IncomingMessage, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { postJson, startServer } from '../integration/server-process.js'
import { isValidSignature } from './webhook-signature.js'
import { tempDir, waitFor } from '../testing/fixtures.js'

const secret = 'restart-test-secret'

/** A receiver on 127.0.0.1:0; `answer` decides each request's fate (a status, or 'hang'). */
async function startReceiver(answer: (n: number) => number | 'hang') {
  const received: { headers: IncomingMessage['headers']; body: string; target: string }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c))
    req.on('end', () => {
      received.push({ headers: req.headers, body, target: req.url ?? '' })
      const status = answer(received.length)
      if (status !== 'hang') res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

async function wharfJson(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}/api/2.0/wharf/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}

describe('webhook deliveries across a server restart', () => {
  const dirs: string[] = []
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  async function setUp(name: string, receiverUrl: string, env: NodeJS.ProcessEnv) {
    const dir = await tempDir('webhook-restart')
    dirs.push(dir)
    const args = ['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')]
    const server = await startServer(args, env)
    const hook = await wharfJson(server.url, 'POST', 'registry/webhooks', { url: receiverUrl, events: ['registered_model.created'], model_name: name, secret })
    assert.equal(hook.status, 200, JSON.stringify(hook.body))
    assert.equal((await postJson(server.url, 'registered-models/create', { name })).status, 200)
    return { server, args, webhookId: hook.body.webhook.webhook_id as string }
  }
  const deliveriesAt = async (url: string, webhookId: string) =>
    (await wharfJson(url, 'GET', `registry/webhooks/deliveries?webhook_id=${webhookId}`)).body.deliveries as any[]

  it('retries a failed delivery after SIGKILL and restart, losing nothing and keeping every attempt', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? 500 : 200))
    const env = { WHARF_WEBHOOK_RETRY_BASE_MS: '1500', WHARF_WEBHOOK_MAX_ATTEMPTS: '5' }
    const { server, args, webhookId } = await setUp('survivor', receiver.url, env)
    let restarted: Awaited<ReturnType<typeof startServer>> | undefined
    try {
      // Kill between the recorded failure and its retry (due 1.5 s later).
      await waitFor('the first attempt to be recorded', async () => (await deliveriesAt(server.url, webhookId))[0]?.attempts?.length === 1, 20_000)
      await server.stop('SIGKILL')
      assert.equal(receiver.received.length, 1)
      restarted = await startServer(args, env)
      const url = restarted.url
      const delivery = await waitFor(
        'the retry after restart',
        async () => {
          const [d] = await deliveriesAt(url, webhookId)
          return d?.status === 'succeeded' ? d : undefined
        },
        20_000,
      )
      assert.deepEqual(
        delivery.attempts.map((a: { status_code: number }) => a.status_code),
        [500, 200],
      )
      assert.equal(receiver.received.length, 2)
      for (const r of receiver.received) {
        assert.equal(r.headers['x-wharf-delivery'], delivery.delivery_id)
        assert.ok(
          isValidSignature(
            secret,
            { timestamp: String(r.headers['x-wharf-timestamp']), method: 'POST', target: r.target, body: r.body },
            String(r.headers['x-wharf-signature']),
          ),
        )
        assert.equal(JSON.parse(r.body).model, 'survivor')
      }
      const events = await wharfJson(url, 'GET', 'registry/events?model=survivor')
      assert.deepEqual(
        events.body.events.map((e: { event: string }) => e.event),
        ['registered_model.created'],
      )
    } finally {
      await server.stop()
      await restarted?.stop()
      await receiver.close()
    }
  })

  it('sends again a delivery that was in flight when the server died, once its lease runs out', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? 'hang' : 204))
    const env = { WHARF_WEBHOOK_RETRY_BASE_MS: '200', WHARF_WEBHOOK_TIMEOUT_MS: '500' }
    const { server, args, webhookId } = await setUp('in-flight', receiver.url, env)
    let restarted: Awaited<ReturnType<typeof startServer>> | undefined
    try {
      await waitFor('the first request to arrive', () => receiver.received.length === 1, 20_000)
      await server.stop('SIGKILL')
      restarted = await startServer(args, env)
      const url = restarted.url
      const delivery = await waitFor(
        'the delivery after the lease',
        async () => {
          const [d] = await deliveriesAt(url, webhookId)
          return d?.status === 'succeeded' ? d : undefined
        },
        20_000,
      )
      // The attempt cut short by the kill was never recorded; the one after restart was.
      assert.deepEqual(
        delivery.attempts.map((a: { status_code: number }) => a.status_code),
        [204],
      )
      assert.equal(receiver.received.length, 2)
      assert.equal(receiver.received[0]!.headers['x-wharf-delivery'], receiver.received[1]!.headers['x-wharf-delivery'])
    } finally {
      await server.stop()
      await restarted?.stop()
      await receiver.close()
    }
  })
})
