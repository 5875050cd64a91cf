import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { type RunningServer, startServer } from '../integration/server-process.js'
import { fakeServeCommand, invoke, startLoad } from './fixtures/deploy-harness.js'
import { aliasVersion, deployApi, registerVersions } from './fixtures/registry-fixture.js'
import { freePort, isAlive, tempDir, waitFor } from '../testing/fixtures.js'

const wharfBin = fileURLToPath(new URL('../../bin/wharf.js', import.meta.url))
const run = promisify(execFile)

describe('deployments to the local target through wharf server', () => {
  let dir: string
  let server: RunningServer
  let args: string[]
  let env: NodeJS.ProcessEnv
  let productionPort: number
  const pids = new Set<number>()

  const api = async (method: 'GET' | 'POST', path: string, fields: Record<string, unknown> = {}) => {
    const res = await deployApi(server.url, method, path, fields)
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`)
    return res.body
  }
  const endpoint = async (environment: string) => {
    const { endpoints } = await api('GET', 'list', { environment })
    const e = endpoints.find((x: any) => x.model_name === 'fraud')
    for (const i of e?.instances ?? []) if (i.pid) pids.add(i.pid)
    return e
  }
  const cli = (...argv: string[]) => run(process.execPath, [wharfBin, ...argv], { env: { ...process.env, WHARF_TRACKING_URI: server.url, WHARF_USER: 'bob' } })

  before(async () => {
    dir = await tempDir('deploy')
    productionPort = await freePort()
    await writeFile(join(dir, 'wharf.yaml'), `environments:\n  staging: { target: local }\n  production:\n    target: local\n    port: ${productionPort}\n`)
    args = ['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')]
    env = { WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'), WHARF_SERVE_COMMAND: JSON.stringify(fakeServeCommand) }
    server = await startServer(args, env)
    await registerVersions(server.url, 'fraud', 3)
  })

  after(async () => {
    for (const environment of ['staging', 'production']) await deployApi(server.url, 'POST', 'undeploy', { model_name: 'fraud', environment }).catch(() => {})
    await server.stop()
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('deploys a version to staging and answers predictions at the endpoint URL', async () => {
    const { change } = await api('POST', 'deploy', { model_name: 'fraud', version: '1', environment: 'staging' })
    assert.equal(change.to_version, '1')
    const e = await endpoint('staging')
    assert.equal(e.live_version, '1')
    assert.equal(e.health, 'ready')
    assert.match(e.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const answer = await invoke(e.url)
    assert.equal(answer.status, 200)
    assert.equal(answer.version, '1')
    assert.deepEqual(JSON.parse(answer.body), { predictions: [1, 1] })
  })

  it('brings a killed serving process back, healthy', async () => {
    const before = await endpoint('staging')
    const pid = before.instances[0].pid as number
    process.kill(pid, 'SIGKILL')
    await waitFor(
      'the process back and healthy',
      async () => {
        const e = await endpoint('staging')
        return e.instances[0].pid !== pid && e.instances[0].health === 'ready' && (await invoke(e.url)).status === 200
      },
      30_000,
    )
    assert.equal((await endpoint('staging')).instances[0].restarts, 1)
  })

  it('promotes from staging to production with the CLI, moving the production alias', async () => {
    const { stdout } = await cli('promote', 'fraud', '--from', 'staging', '--to', 'production')
    assert.match(stdout, /bob {2}promote fraud in production: v- → v1/)
    assert.equal(await aliasVersion(server.url, 'fraud', 'production'), '1')
    const e = await endpoint('production')
    assert.equal(e.live_version, '1')
    assert.equal(e.url, `http://127.0.0.1:${productionPort}`, 'the router listens on the port wharf.yaml gives')
    assert.equal((await invoke(e.url)).version, '1')
  })

  it('promotes, splits traffic and rolls back under continuous load with zero failed requests', async () => {
    await api('POST', 'deploy', { model_name: 'fraud', version: '2', environment: 'staging' })
    const url = (await endpoint('production')).url
    const load = startLoad(url, 4)
    await api('POST', 'promote', { model_name: 'fraud', from_environment: 'staging', to_environment: 'production' })
    // Each setting serves a share of the load before the next change: wait on answers, not on time.
    const serveMore = (what: string, count: number) => {
      const target = load.answered() + count
      return waitFor(what, () => load.answered() >= target, 30_000)
    }
    await api('POST', 'traffic', { model_name: 'fraud', environment: 'production', weights: { 1: 50, 2: 50 } })
    await serveMore('requests at 50/50', 40)
    await api('POST', 'traffic', { model_name: 'fraud', environment: 'production', weights: { 2: 90, 1: 10 } })
    await serveMore('requests at 90/10', 40)
    const { change } = await api('POST', 'rollback', { model_name: 'fraud', environment: 'production' })
    await serveMore('requests after the rollback', 20)
    const result = await load.stop()
    assert.deepEqual(result.failures, [])
    assert.ok((result.versions.get('1') ?? 0) > 0 && (result.versions.get('2') ?? 0) > 0)
    assert.equal(change.action, 'rollback')
    assert.equal(change.from_version, '2')
    assert.equal(change.to_version, '1')
    assert.equal((await invoke(url)).version, '1')
    assert.equal(
      await aliasVersion(server.url, 'fraud', 'production'),
      '1',
      'the alias the promote moved follows the rollback: it names what production serves, so the next gate compares against it',
    )
  })

  it('copies a share of requests to a shadow version, never returns its answers, and reports agreement', async () => {
    const url = (await endpoint('production')).url
    await api('POST', 'deploy', { model_name: 'fraud', version: '3', environment: 'production', shadow_percent: 100 })
    for (let i = 0; i < 20; i++) assert.equal((await invoke(url)).version, '1')
    await waitFor(
      'shadow reports',
      async () => (await api('GET', 'agreement', { model_name: 'fraud', environment: 'production' })).reports.some((r: any) => r.shadowed_requests >= 20),
      30_000,
    )
    const { reports } = await api('GET', 'agreement', { model_name: 'fraud', environment: 'production' })
    const report = reports.find((r: any) => r.shadow_version === '3')
    assert.equal(report.live_version, '1')
    assert.equal(report.shadow_errors, 0)
    assert.equal(report.compared_rows, report.shadowed_requests * 2)
    assert.equal(report.label_agreement, 0)
    assert.equal(report.mean_absolute_difference, 2)
    const e = await endpoint('production')
    assert.deepEqual(e.traffic.shadow, { version: '3', percent: 100 })
    assert.equal(e.instances.find((i: any) => i.version === '3').role, 'shadow')
  })

  it('records every change with who, when, and from which version to which', async () => {
    const { changes } = await api('GET', 'history', { model_name: 'fraud', environment: 'production' })
    assert.deepEqual(
      changes.map((c: any) => [c.actor, c.action, c.from_version, c.to_version]),
      [
        ['bob', 'promote', null, '1'],
        ['alice', 'promote', '1', '2'],
        ['alice', 'traffic', '2', '2'],
        ['alice', 'traffic', '2', '2'],
        ['alice', 'rollback', '2', '1'],
        ['alice', 'deploy', '1', '1'],
      ],
    )
    assert.ok(changes.every((c: any) => typeof c.time === 'number' && c.time > Date.now() - 120_000))
    const { stdout } = await cli('deployments', 'production')
    assert.match(stdout, /production\s+fraud\s+local\s+v1\s+\S+ ago\s+ready\s+v1:100% shadow v3:100%\s+http:\/\/127\.0\.0\.1:\d+/)
  })

  it('finds its deployments again after the control plane restarts, adopting the running processes', async () => {
    const staging = await endpoint('staging')
    const production = await endpoint('production')
    const pidsBefore = [...staging.instances, ...production.instances].map((i: any) => i.pid).sort()
    await server.stop('SIGKILL')
    server = await startServer(args, env)
    const again = await endpoint('production')
    assert.equal(again.url, production.url)
    assert.equal(again.live_version, '1')
    assert.equal((await endpoint('staging')).live_version, '2')
    await waitFor('production ready', async () => (await endpoint('production')).health === 'ready', 30_000)
    const pidsAfter = [...(await endpoint('staging')).instances, ...(await endpoint('production')).instances].map((i: any) => i.pid).sort()
    assert.deepEqual(pidsAfter, pidsBefore)
    assert.equal((await invoke(again.url)).version, '1')
    assert.equal((await invoke(staging.url)).version, '2')
  })
})
