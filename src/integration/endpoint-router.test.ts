import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fakeServeCommand } from '../deploy/fixtures/deploy-harness.js'
import { isAlive } from '../testing/fixtures.js'
import { deployApi, registerVersions } from '../deploy/fixtures/registry-fixture.js'
import { type RunningServer, startServer } from './server-process.js'

const MiB = 1024 * 1024
const body = JSON.stringify({ dataframe_split: { columns: ['x'], data: [[1]] } })

/** A POST /invocations with the given headers; `size` pads the body with spaces (sent chunked, 1 MiB at a time). */
function invoke(url: string, headers: Record<string, string>, size = 0): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false
    const req = request(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      answered = true
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', (err) => (answered ? undefined : reject(err)))
    if (size === 0) return void req.end(body)
    const chunk = Buffer.alloc(MiB, 0x20)
    let sent = 0
    const pump = () => {
      while (!answered && !req.destroyed && sent < size) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      if (sent >= size) req.end()
    }
    req.write(body.slice(0, -1))
    pump()
  })
}

/**
 * Issue #12 item 9, against a real `wharf server` with a local deployment: the endpoint's traffic
 * router (inside the server) checks the Host and Origin headers as `wharf serve` does (DNS
 * rebinding, cross-origin POSTs from a page), and bounds request bodies as every route does.
 */
describe("a local endpoint's traffic router", () => {
  let dir: string
  let server: RunningServer
  let url: string
  const pids = new Set<number>()

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-router-guard-'))
    await writeFile(join(dir, 'wharf.yaml'), 'environments:\n  staging: { target: local }\n')
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
      WHARF_SERVE_COMMAND: JSON.stringify(fakeServeCommand),
    })
    await registerVersions(server.url, 'guarded', 1)
    const deployed = await deployApi(server.url, 'POST', 'deploy', { model_name: 'guarded', version: '1', environment: 'staging' })
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body))
    const endpoint = (await deployApi(server.url, 'GET', 'list', { environment: 'staging' })).body.endpoints.find((e: any) => e.model_name === 'guarded')
    for (const i of endpoint.instances ?? []) if (i.pid) pids.add(i.pid)
    url = endpoint.url
  })

  after(async () => {
    await deployApi(server.url, 'POST', 'undeploy', { model_name: 'guarded', environment: 'staging' }).catch(() => {})
    await server.stop()
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('answers its own host names, and refuses a foreign Host (DNS rebinding) and a foreign Origin with 403', async () => {
    const port = new URL(url).port
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) assert.equal((await invoke(url, { host })).status, 200, host)
    for (const host of ['attacker.example', `localhost.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, `10.attacker.example:${port}`]) {
      const answer = await invoke(url, { host })
      assert.equal(answer.status, 403, `${host}: ${answer.body}`)
      assert.match(answer.body, /DNS rebinding/)
    }
    const crossOrigin = await invoke(url, { origin: 'https://evil.example' })
    assert.equal(crossOrigin.status, 403, crossOrigin.body)
    assert.equal((await invoke(url, { origin: `http://localhost:${port}` })).status, 200)
  })

  it('refuses a body over the serving limit with 413 before buffering it', async () => {
    const peak = async () => Number(/^VmHWM:\s+(\d+) kB/m.exec(await readFile(`/proc/${server.process.pid}/status`, 'utf8'))![1]) * 1024
    const before = await peak()
    const answer = await invoke(url, {}, 200 * MiB)
    const growth = (await peak()) - before
    assert.ok(growth < 48 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(0)} MiB`)
    assert.equal(answer.status, 413, answer.body)
  })
})
