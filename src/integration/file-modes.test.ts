import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { wharfBin } from '../app-paths.js'
import { fakeServeCommand } from '../deploy/fixtures/deploy-harness.js'
import { isAlive } from '../testing/fixtures.js'
import { deployApi, registerVersions } from '../deploy/fixtures/registry-fixture.js'
import { type RunningServer, startServer } from './server-process.js'

const run = promisify(execFile)

/** Every file and folder under `dir`, with its permission bits. */
async function modesUnder(dir: string): Promise<{ path: string; mode: number; isDir: boolean }[]> {
  const out: { path: string; mode: number; isDir: boolean }[] = []
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, name)
    const s = await stat(path).catch(() => undefined) // a file removed meanwhile (a temp file)
    if (s) out.push({ path, mode: s.mode & 0o777, isDir: s.isDirectory() })
  }
  return out
}

/**
 * Issue #12 item 9: what a real `wharf server` writes (the database and its WAL, artifacts,
 * deployment logs) is private to its user: files 0600, folders 0700, whatever the umask lets
 * through. The test runs the server under umask 022, the usual one, where files come out 0644.
 */
describe('files the server creates', () => {
  let dir: string
  let data: string
  let server: RunningServer
  const pids = new Set<number>()

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-modes-'))
    data = join(dir, 'wharf-data')
    await writeFile(join(dir, 'wharf.yaml'), 'environments:\n  staging: { target: local }\n')
    const previous = process.umask(0o022)
    try {
      server = await startServer(['--backend-store-uri', `sqlite:///${join(data, 'wharf.db')}`, '--artifacts-destination', join(data, 'artifacts')], {
        WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
        WHARF_SERVE_COMMAND: JSON.stringify(fakeServeCommand),
      })
    } finally {
      process.umask(previous)
    }
  })

  after(async () => {
    await deployApi(server.url, 'POST', 'undeploy', { model_name: 'private', environment: 'staging' }).catch(() => {})
    await server.stop()
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('are 0600 files and 0700 folders: the database, its WAL, artifacts and deployment logs', async () => {
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model/MLmodel`, { method: 'PUT', body: 'flavors: {}\n' })
    assert.equal(put.status, 200)
    await registerVersions(server.url, 'private', 1)
    const deployed = await deployApi(server.url, 'POST', 'deploy', { model_name: 'private', version: '1', environment: 'staging' })
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body))
    const { endpoints } = (await deployApi(server.url, 'GET', 'list', { environment: 'staging' })).body
    for (const e of endpoints) for (const i of e.instances ?? []) if (i.pid) pids.add(i.pid)

    const entries = await modesUnder(data)
    const names = entries.map((e) => e.path.slice(data.length + 1))
    for (const expected of ['wharf.db', 'wharf.db-wal', 'artifacts/1/run/artifacts/model/MLmodel'])
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`)
    assert.ok(
      names.some((n) => n.startsWith('deployments/') && !entries.find((e) => e.path.endsWith(n))!.isDir),
      `a deployment log in ${names.join(', ')}`,
    )
    for (const e of [{ path: data, mode: (await stat(data)).mode & 0o777, isDir: true }, ...entries]) {
      assert.equal(e.mode, e.isDir ? 0o700 : 0o600, `${e.path} is ${e.mode.toString(8)}`)
    }
  })

  it('documents that --auth-token shows in ps, and points to WHARF_AUTH_TOKEN', async () => {
    const { stdout } = await run(process.execPath, [wharfBin, 'server', '--help'])
    assert.match(stdout.replace(/\s+/g, ' '), /--auth-token .*visible to other users in ps.*WHARF_AUTH_TOKEN/)
  })
})
