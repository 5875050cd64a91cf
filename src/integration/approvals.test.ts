import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { wharfBin } from '../app-paths.js'
import { type RunningServer, startServer } from './server-process.js'

const run = promisify(execFile)
const token = 'approvals-token'

/**
 * Issue #12 item 9, against real `wharf server` processes: an approval records who was
 * authenticated, not the user name a client claims in HTTP Basic. Until Wharf has user accounts
 * that is "token holder" (a server with --auth-token) or "anonymous" (one without), and the CLI
 * and API say so.
 */
describe('approvals record an authenticated identity', () => {
  let dir: string
  const servers: RunningServer[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-approvals-'))
    await writeFile(join(dir, 'wharf.yaml'), 'pipeline: gated\nstages:\n  - { name: review, steps: [{ name: gate, gate: { approval: manual } }] }\n')
  })

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  async function start(name: string, env: NodeJS.ProcessEnv) {
    const server = await startServer(
      [
        '--backend-store-uri',
        `sqlite:///${join(dir, name, 'wharf.db')}`,
        '--artifacts-destination',
        join(dir, name, 'artifacts'),
        '--pipelines',
        join(dir, 'wharf.yaml'),
      ],
      env,
    )
    servers.push(server)
    return server
  }

  const call = async (server: RunningServer, path: string, authorization: string | undefined, body?: unknown) => {
    const res = await fetch(`${server.url}/api/2.0/wharf/pipelines/${path}`, {
      headers: { ...(authorization ? { authorization } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const newRun = async (server: RunningServer, authorization: string | undefined) => {
    const created = await call(server, 'runs/create', authorization, {
      pipeline: 'gated',
      owner_pid: process.pid,
      owner_host: hostname(),
      plan: [{ stage: 'review', steps: [{ step: 'gate', kind: 'gate' }] }],
    })
    assert.equal(created.status, 200, JSON.stringify(created.body))
    return created.body.run.run_id as string
  }

  it('records "token holder", not the Basic user name, and says so to the API and the CLI', async () => {
    const server = await start('token', { WHARF_AUTH_TOKEN: token })
    const runId = await newRun(server, `Bearer ${token}`)
    const decided = await call(server, 'runs/decide', basic('the-ceo', token), { run_id: runId, step: 'gate', decision: 'approved' })
    assert.equal(decided.status, 200, JSON.stringify(decided.body))
    assert.equal(decided.body.actor, 'token holder')
    const recorded = await call(server, `runs/decision?run_id=${runId}&step=gate`, `Bearer ${token}`)
    assert.equal(recorded.body.actor, 'token holder')
    assert.equal((await call(server, `runs/get?run_id=${runId}`, `Bearer ${token}`)).body.run.actor, 'token holder')

    await call(server, 'runs/finish', `Bearer ${token}`, { run_id: runId, status: 'succeeded' })
    const second = await newRun(server, `Bearer ${token}`)
    const cli = await run(process.execPath, [wharfBin, 'pipeline', 'reject', second, '--step', 'gate'], {
      env: { ...process.env, WHARF_TRACKING_URI: server.url, WHARF_TRACKING_TOKEN: token, WHARF_USER: 'the-ceo' },
    })
    assert.match(cli.stdout, /rejected step 'gate' of run [0-9a-f]{16}, recorded as token holder \(Wharf has no user accounts yet/)
    assert.equal((await call(server, `runs/decision?run_id=${second}&step=gate`, `Bearer ${token}`)).body.actor, 'token holder')
  })

  it('records "anonymous" on a server without a token, whatever name the client claims', async () => {
    const server = await start('open', {})
    const runId = await newRun(server, undefined)
    const decided = await call(server, 'runs/decide', basic('the-ceo', ''), { run_id: runId, step: 'gate', decision: 'approved' })
    assert.equal(decided.body.actor, 'anonymous')
    assert.equal((await call(server, `runs/decision?run_id=${runId}&step=gate`, undefined)).body.actor, 'anonymous')
  })
})
