import assert from 'node:assert/strict'
import { Agent, get } from 'node:http'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { startServer } from './server-process.js'
import { tempDir } from '../testing/fixtures.js'

/** GET with the given agent; says whether the request went out on a pooled (reused) socket. */
const getVia = (agent: Agent, url: string) =>
  new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }))
    })
    req.on('error', reject)
  })

describe('keep-alive connections to the tracking server', () => {
  it('keeps an idle pooled connection open past Node’s 5 s default, as pooling clients expect', async () => {
    // The MLflow client's requests session reuses sockets after pauses (a model load, say); a
    // server that closed them at 5 s raced its next request ("connection closed without response").
    const dir = await tempDir('keepalive')
    const server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')])
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      assert.deepEqual(await getVia(agent, `${server.url}/health`), { status: 200, reused: false })
      await sleep(6_000)
      assert.deepEqual(await getVia(agent, `${server.url}/health`), { status: 200, reused: true })
    } finally {
      agent.destroy()
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
