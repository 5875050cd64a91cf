import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { errorResponse } from '../http/error-response.js'
import { waitFor } from '../testing/fixtures.js'
import { type ForwardingOptions, forwardedToHeader, forwardToLeaseHolder } from './deployment-forwarding.js'
import type { DeploymentLeaseView } from './deployment-lease.js'

/**
 * The lease as one replica sees it, set by the test (stand-in for the database's lease row, which
 * src/integration/replica-failures.test.ts drives with real replicas). Counts its reads.
 */
class TestLease implements DeploymentLeaseView {
  self = 'replica-a:1:term2 http://127.0.0.1:1'
  isHolding = false
  current: string | undefined
  reads = 0

  isHolder(): boolean {
    return this.isHolding
  }

  async holder(): Promise<string | undefined> {
    this.reads++
    return this.current
  }
}

/** A holder replica that keeps each request it gets, unanswered until the test answers it. */
class Holder {
  readonly requests: { req: IncomingMessage; res: ServerResponse }[] = []
  readonly server: Server = createServer((req, res) => {
    req.resume()
    this.requests.push({ req, res })
  })

  holderString(): string {
    return `replica-b:2:term1 http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }
}

/** A replica's app with the forwarding middleware in front of a deployment route that answers here. */
async function startReplica(lease: DeploymentLeaseView, options: Partial<ForwardingOptions> = {}): Promise<{ server: ServerType; url: string }> {
  const app = new Hono<AppEnv>()
  app.onError(errorResponse(undefined))
  app.use('/api/2.0/wharf/deployments/*', forwardToLeaseHolder({ lease: () => lease, leaseCheckMs: 20, ...options }))
  app.all('/api/2.0/wharf/deployments/*', (c) => c.json({ answered_by: 'this replica' }))
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
  })
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/2.0/wharf/deployments` }
}

describe('forwarding deployment requests to the lease holder', () => {
  const lease = new TestLease()
  const holder = new Holder()
  let replica: ServerType
  let replicaUrl: string

  before(async () => {
    await new Promise<void>((resolve) => holder.server.listen(0, '127.0.0.1', resolve))
    ;({ server: replica, url: replicaUrl } = await startReplica(lease))
  })

  after(() => {
    holder.server.closeAllConnections()
    holder.server.close()
    replica.close()
  })

  const deploy = (headers: Record<string, string> = {}) =>
    fetch(`${replicaUrl}/deploy`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model_name":"m"}' })

  it('waits as long as the holder keeps its lease, and sends the holder and term the request is for', async () => {
    lease.isHolding = false
    lease.current = holder.holderString()
    const answer = deploy()
    const { req, res } = await waitFor('the holder to get the request', () => holder.requests.at(-1))
    assert.equal(req.headers[forwardedToHeader], holder.holderString())
    // A slow deploy: the lease is read several times and still names the holder.
    const readsBefore = lease.reads
    await waitFor('several lease reads', () => lease.reads >= readsBefore + 5)
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"deployed":true}')
    const done = await answer
    assert.equal(done.status, 200)
    assert.deepEqual(await done.json(), { deployed: true })
  })

  it('answers 504 DEADLINE_EXCEEDED once the lease no longer names a holder that has not answered, and never sends again', async () => {
    lease.current = holder.holderString()
    const before = holder.requests.length
    const answer = deploy()
    await waitFor('the holder to get the request', () => holder.requests.length === before + 1)
    lease.current = undefined
    const res = await answer
    assert.equal(res.status, 504)
    const body = (await res.json()) as { error_code: string; message: string }
    assert.equal(body.error_code, 'DEADLINE_EXCEEDED')
    assert.match(body.message, /did not answer before its lease ran out/)
    assert.match(body.message, /may or may not have been applied/)
    assert.equal(holder.requests.length, before + 1, 'sent once')
  })

  it('cuts an answer that streams off once the holder loses its lease', async () => {
    lease.current = holder.holderString()
    const answer = fetch(`${replicaUrl}/logs?follow=true`)
    const { res } = await waitFor('the holder to get the request', () => {
      const last = holder.requests.at(-1)
      return last?.req.url?.startsWith('/api/2.0/wharf/deployments/logs') ? last : undefined
    })
    res.writeHead(200, { 'content-type': 'text/plain' }).write('first line\n')
    const streaming = await answer
    assert.equal(streaming.status, 200)
    const reader = streaming.body!.getReader()
    assert.equal(new TextDecoder().decode((await reader.read()).value), 'first line\n')
    lease.current = 'replica-c:3:term1 http://127.0.0.1:2'
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) return
    })
  })

  it('applies a forwarded request only in the term it was sent to', async () => {
    lease.isHolding = true
    const stale = await deploy({ 'x-wharf-forwarded-by': 'replica-b', [forwardedToHeader]: 'replica-a:1:term1 http://127.0.0.1:1' })
    assert.equal(stale.status, 503)
    const body = (await stale.json()) as { error_code: string; message: string }
    assert.equal(body.error_code, 'TEMPORARILY_UNAVAILABLE')
    assert.match(body.message, /earlier term .* it was not applied/)
    const current = await deploy({ 'x-wharf-forwarded-by': 'replica-b', [forwardedToHeader]: lease.self })
    assert.equal(current.status, 200)
    assert.deepEqual(await current.json(), { answered_by: 'this replica' })
  })

  it('answers 503 when the holder does not accept the connection in time: nothing was sent', async (t) => {
    // A holder whose accept queue is full (it listens and never accepts): the kernel drops further
    // SYNs, as a dead machine or a partition does. Python, because Node accepts every connection.
    const python = spawn('python3', [
      '-c',
      'import socket,sys,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)',
    ])
    t.after(() => python.kill())
    const [line] = (await once(python.stdout, 'data')) as [Buffer]
    const port = Number(line.toString().trim())
    const filler = connect(port, '127.0.0.1')
    t.after(() => filler.destroy())
    await once(filler, 'connect')
    const unreachable = new TestLease()
    unreachable.current = `replica-d:4:term1 http://127.0.0.1:${port}`
    const { server, url } = await startReplica(unreachable, { connectTimeoutMs: 300 })
    t.after(() => server.close())
    const res = await fetch(`${url}/deploy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    assert.equal(res.status, 503)
    const body = (await res.json()) as { error_code: string; message: string }
    assert.equal(body.error_code, 'TEMPORARILY_UNAVAILABLE')
    assert.match(body.message, /did not accept a connection within 300 ms; nothing was sent/)
  })
})
