import assert from 'node:assert/strict'
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { type RunningServer, startServer } from './server-process.js'

const secret = 'webhooks-secret'

/** Issue #12 item 6, against a real `wharf server`: where webhooks may point, what clients see of failures, what a signature covers. */
describe('registry webhooks', () => {
  let dir: string
  let server: RunningServer

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'wharf-webhooks-')))
    for (const name of ['alpha', 'beta']) {
      await writeFile(
        join(dir, `${name}.yaml`),
        `pipeline: ${name}\nstages:\n  - { name: build, steps: [{ name: b, command: "true" }] }\n  - { name: deploy, steps: [{ name: d, command: "true" }] }\n`,
      )
    }
    server = await startServer(
      [
        '--backend-store-uri',
        `sqlite:///${join(dir, 'data', 'wharf.db')}`,
        '--artifacts-destination',
        join(dir, 'data', 'artifacts'),
        '--pipelines',
        `${join(dir, 'alpha.yaml')},${join(dir, 'beta.yaml')}`,
      ],
      { WHARF_PIPELINE_WEBHOOK_SECRET: secret, WHARF_WEBHOOK_MAX_ATTEMPTS: '1' },
    )
  })

  after(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(
      `${server.url}/api/2.0/${path}`,
      body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    )
    return { status: res.status, body: (await res.json()) as any }
  }

  /** Creates a model version of a new model; resolves with the first attempt of the webhook's delivery. */
  async function firstAttempt(webhookId: string, model: string): Promise<{ status_code?: number; error?: string }> {
    await api('mlflow/registered-models/create', { name: model })
    await api('mlflow/model-versions/create', { name: model, source: 'mlflow-artifacts:/models/x' })
    for (let i = 0; i < 200; i++) {
      const { deliveries = [] } = (await api(`wharf/registry/webhooks/deliveries?webhook_id=${webhookId}`)).body
      const attempt = deliveries[0]?.attempts?.[0]
      if (attempt) return attempt
      await sleep(50)
    }
    throw new Error('no delivery attempt was recorded')
  }

  it('refuses URLs at the Azure wire server, 192.0.0.0/24, and NAT64, IPv4-compatible and mapped forms of metadata addresses', async () => {
    const urls = [
      'http://168.63.129.16/hook',
      'http://192.0.0.192/hook',
      'http://192.0.0.8/hook',
      'http://[64:ff9b::a9fe:a9fe]/hook',
      'http://[64:ff9b::169.254.169.254]/hook',
      'http://[64:ff9b:1::a9fe:a9fe]/hook',
      'http://[64:ff9b::a83f:8110]/hook',
      'http://[::169.254.169.254]/hook',
      'http://[::a9fe:a9fe]/hook',
      'http://[::ffff:0:a9fe:a9fe]/hook',
      'http://[::ffff:168.63.129.16]/hook',
      'http://[2002:a9fe:a9fe::1]/hook',
      'http://[64:ff9b::6464:64c8]/hook',
    ]
    for (const url of urls) {
      const res = await api('wharf/registry/webhooks', { url, events: ['model_version.created'], secret })
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`)
      assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE')
    }
    assert.deepEqual((await api('wharf/registry/webhooks')).body.webhooks ?? [], [])
  })

  it('shows clients a generic delivery error, without addresses or ports, and logs the detail on the server only', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(port))
      })
    })
    for (const [i, host] of ['127.0.0.1', '[::1]'].entries()) {
      const created = await api('wharf/registry/webhooks', {
        url: `http://${host}:${closed}/hook`,
        events: ['model_version.created'],
        model_name: `closed-${i}`,
        secret,
      })
      assert.equal(created.status, 200, JSON.stringify(created.body))
      const attempt = await firstAttempt(created.body.webhook.webhook_id, `closed-${i}`)
      assert.equal(attempt.status_code, undefined)
      assert.equal(attempt.error, 'connection failed')
      await fetch(`${server.url}/api/2.0/wharf/registry/webhooks/${created.body.webhook.webhook_id}`, { method: 'DELETE' })
    }
    assert.match(server.stdout(), /ECONNREFUSED.*"msg":"webhook delivery failed"/, 'the server log keeps the detail')
  })

  it('signs the method, path and query with the body, so a captured delivery cannot be replayed to another pipeline or stage', async () => {
    const captured: { headers: IncomingHttpHeaders; body: string; url: string }[] = []
    const capture: Server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        captured.push({ headers: req.headers, body, url: req.url ?? '' })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve))
    try {
      const target = '/api/2.0/wharf/pipelines/trigger?pipeline=alpha&stages=build'
      const created = await api('wharf/registry/webhooks', {
        url: `http://127.0.0.1:${(capture.address() as AddressInfo).port}${target}`,
        events: ['model_version.created'],
        model_name: 'captured',
        secret,
      })
      assert.equal((await firstAttempt(created.body.webhook.webhook_id, 'captured')).status_code, 204)
      const delivery = captured[0]!
      assert.equal(delivery.url, target)
      const replay = (to: string) =>
        fetch(`${server.url}${to}`, {
          method: 'POST',
          body: delivery.body,
          headers: {
            'content-type': 'application/json',
            'x-wharf-timestamp': String(delivery.headers['x-wharf-timestamp']),
            'x-wharf-signature': String(delivery.headers['x-wharf-signature']),
          },
        })
      for (const other of [
        '/api/2.0/wharf/pipelines/trigger?pipeline=beta&stages=build',
        '/api/2.0/wharf/pipelines/trigger?pipeline=alpha&stages=deploy',
        '/ajax-api/2.0/wharf/pipelines/trigger?pipeline=alpha&stages=build',
      ]) {
        const res = await replay(other)
        const answer = (await res.json()) as { error_code: string; message: string }
        assert.equal(res.status, 401, `${other}: ${JSON.stringify(answer)}`)
        assert.match(answer.message, /X-Wharf-Signature/)
      }
      assert.deepEqual((await api('wharf/pipelines/runs/list')).body.runs, [])
      const sent = await replay(target)
      assert.equal(sent.status, 202, JSON.stringify(await sent.json()))
    } finally {
      capture.close()
    }
  })
})
