import assert from 'node:assert/strict'
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { type RunningServer, startServer } from './server-process.js'

const MiB = 1024 * 1024
const attackBytes = 300 * MiB

/** The server's peak resident memory so far (VmHWM), in bytes. */
async function peakRss(server: RunningServer): Promise<number> {
  const status = await readFile(`/proc/${server.process.pid}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) * 1024
}

interface Answer {
  status: number
  body: any
  sentBytes: number
}

/**
 * Streams `totalBytes` to the server in 1 MiB chunks (chunked, or with a Content-Length), without
 * ever holding them, and stops as soon as an answer arrives. A server that closes the connection
 * after answering makes the remaining writes fail, which is what it should do.
 */
function sendLarge(url: string, options: { method?: string; headers?: Record<string, string>; declareLength?: boolean; totalBytes?: number }): Promise<Answer> {
  const total = options.totalBytes ?? attackBytes
  const chunk = Buffer.alloc(MiB, 0x61)
  return new Promise((resolve, reject) => {
    let sent = 0
    let answered = false
    const req = request(url, {
      method: options.method ?? 'POST',
      headers: { ...options.headers, ...(options.declareLength ? { 'content-length': String(total) } : {}) },
    })
    req.on('response', (res) => {
      answered = true
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {}, sentBytes: sent }))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: {}, sentBytes: sent }))
    })
    req.on('error', (err) => {
      if (!answered) reject(new Error(`no answer after ${sent} bytes: ${err.message}`))
    })
    const pump = () => {
      while (!answered && !req.destroyed && sent < total) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      if (sent >= total) req.end()
    }
    pump()
  })
}

describe('request bodies are bounded on every route that reads one', () => {
  const servers: RunningServer[] = []
  const dirs: string[] = []
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  async function start(env: NodeJS.ProcessEnv = {}): Promise<{ server: RunningServer; dir: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-bodies-'))
    dirs.push(dir)
    const server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], env)
    servers.push(server)
    // A few ordinary calls first, so the peak measured before includes a working server.
    for (let i = 0; i < 5; i++) await fetch(`${server.url}/api/2.0/mlflow/experiments/search?max_results=10`)
    return { server, dir }
  }

  /**
   * Runs `attack`, asserts the server's peak memory grew by less than `boundBytes` (checked first:
   * it is the point of these tests), then hands back what the attack answered.
   */
  async function withinMemory<T>(server: RunningServer, boundBytes: number, attack: () => Promise<T>): Promise<T> {
    const before = await peakRss(server)
    const result = await attack()
    const growth = (await peakRss(server)) - before
    assert.ok(growth < boundBytes, `peak RSS grew by ${(growth / MiB).toFixed(0)} MiB (bound ${boundBytes / MiB} MiB)`)
    return result
  }

  it('refuses a 300 MiB trigger delivery at once when triggers are off (no secret), reading nothing', async () => {
    const { server } = await start()
    const trigger = `${server.url}/api/2.0/wharf/pipelines/trigger?pipeline=x`
    const chunked = await withinMemory(server, 32 * MiB, () => sendLarge(trigger, { headers: { 'content-type': 'application/json' } }))
    assert.equal(chunked.status, 403, JSON.stringify(chunked.body))
    assert.equal(chunked.body.error_code, 'PERMISSION_DENIED')
    assert.ok(chunked.sentBytes < attackBytes, `the server let the client send all ${chunked.sentBytes} bytes`)
  })

  it('refuses a 300 MiB trigger delivery with 413 when triggers are on: by Content-Length, and after the first MiB when chunked', async () => {
    const { server } = await start({ WHARF_PIPELINE_WEBHOOK_SECRET: 'bodies-secret' })
    const trigger = `${server.url}/api/2.0/wharf/pipelines/trigger?pipeline=x`
    for (const declareLength of [false, true]) {
      const answer = await withinMemory(server, 32 * MiB, () => sendLarge(trigger, { headers: { 'content-type': 'application/json' }, declareLength }))
      assert.equal(answer.status, 413, `declared: ${declareLength}: ${JSON.stringify(answer.body)}`)
      assert.equal(answer.body.error_code, 'PAYLOAD_TOO_LARGE')
      assert.ok(answer.sentBytes < attackBytes, `the server let the client send all ${answer.sentBytes} bytes`)
    }
  })

  it('refuses a 300 MiB JSON body on the API routes with 413 after at most the 20 MiB JSON limit', async () => {
    const { server } = await start()
    for (const path of ['/api/2.0/mlflow/runs/create', '/api/2.0/mlflow/registered-models/create', '/api/2.0/wharf/pipelines/runs/create']) {
      for (const declareLength of [false, true]) {
        const answer = await withinMemory(server, 96 * MiB, () =>
          sendLarge(`${server.url}${path}`, { headers: { 'content-type': 'application/json' }, declareLength }),
        )
        assert.equal(answer.status, 413, `${path} (declared: ${declareLength}): ${JSON.stringify(answer.body)}`)
        assert.equal(answer.body.error_code, 'PAYLOAD_TOO_LARGE')
      }
    }
    const runs = await fetch(`${server.url}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"experiment_ids":["0"]}',
    })
    assert.deepEqual(((await runs.json()) as { runs?: unknown[] }).runs ?? [], [])
  })

  it('refuses an artifact upload over WHARF_MAX_ARTIFACT_BYTES with 413 and leaves no file behind', async () => {
    const { server, dir } = await start({ WHARF_MAX_ARTIFACT_BYTES: String(4 * MiB) })
    const url = `${server.url}/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/big.bin`
    for (const declareLength of [true, false]) {
      const answer = await sendLarge(url, { method: 'PUT', declareLength, totalBytes: 64 * MiB })
      assert.equal(answer.status, 413, `declared: ${declareLength}: ${JSON.stringify(answer.body)}`)
      assert.equal(answer.body.error_code, 'PAYLOAD_TOO_LARGE')
    }
    const left = await readdir(join(dir, 'artifacts'), { recursive: true }).catch(() => [])
    assert.deepEqual(
      left.filter((f) => f.endsWith('.bin') || f.endsWith('.tmp')),
      [],
    )
    const small = await fetch(url, { method: 'PUT', body: Buffer.alloc(MiB) })
    assert.equal(small.status, 200)
  })
})
