import assert from 'node:assert/strict'
import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { type RunningServer, startServer } from './server-process.js'

const secret = 'pipeline-files-secret'
const plan = [{ stage: 'build', steps: [{ step: 'command', kind: 'command' }] }]

/**
 * Issue #12 item 1, against real `wharf server` processes: a client that can write artifacts and
 * create pipeline runs must never get the server to load a pipeline file of its choosing. The
 * attack: upload a wharf.yaml with a `command:` step through the artifact proxy, create a run that
 * points at it, then register a model version so the registry's webhook starts "the latest file".
 */
describe('the server loads only pipeline files its operator configured', () => {
  let dir: string
  let marker: string
  const servers: RunningServer[] = []

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'wharf-pipeline-files-')))
    marker = join(dir, 'pwned')
    await mkdir(join(dir, 'configured'))
    await writeFile(join(dir, 'configured', 'wharf.yaml'), 'pipeline: benign\nstages:\n  - { name: build, steps: [{ command: "true" }] }\n')
  })

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  async function start(name: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}) {
    const data = join(dir, name)
    const server = await startServer(
      ['--backend-store-uri', `sqlite:///${join(data, 'wharf.db')}`, '--artifacts-destination', join(data, 'artifacts'), ...args],
      { WHARF_PIPELINE_WEBHOOK_SECRET: secret, WHARF_WEBHOOK_MAX_ATTEMPTS: '1', WHARF_PROJECT_FILE: join(dir, 'configured', 'wharf.yaml'), ...env },
    )
    servers.push(server)
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/2.0/${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : {} }
    }
    return { server, api, artifacts: join(data, 'artifacts') }
  }

  /** What an attacker uploads: a pipeline named like the operator's, whose only step leaves a mark. */
  const evil = (pipeline: string) => `pipeline: ${pipeline}\nstages:\n  - { name: build, steps: [{ command: "touch ${marker}" }] }\n`

  /** Registers a version of a new model, which the operator's webhook turns into a trigger delivery; resolves with its status. */
  async function deliverVersionCreated(api: Awaited<ReturnType<typeof start>>['api'], model: string): Promise<number> {
    assert.equal((await api('POST', 'mlflow/registered-models/create', { name: model })).status, 200)
    assert.equal((await api('POST', 'mlflow/model-versions/create', { name: model, source: 'mlflow-artifacts:/models/x' })).status, 200)
    const { webhooks } = (await api('GET', 'wharf/registry/webhooks')).body as { webhooks: { webhook_id: string }[] }
    for (let i = 0; i < 200; i++) {
      const { deliveries = [] } = (await api('GET', `wharf/registry/webhooks/deliveries?webhook_id=${webhooks[0]!.webhook_id}`)).body
      const attempt = deliveries.find((d: any) => d.attempts?.length > 0)?.attempts[0]
      if (attempt) return attempt.status_code ?? 0
      await sleep(50)
    }
    throw new Error('the webhook was never delivered')
  }

  const markerExists = () =>
    stat(marker).then(
      () => true,
      () => false,
    )

  it('refuses a run that points at an uploaded file, and the webhook then starts nothing', async () => {
    const { server, api } = await start('uploaded')
    await api('POST', 'wharf/registry/webhooks', {
      url: `${server.url}/api/2.0/wharf/pipelines/trigger?pipeline=nightly`,
      events: ['model_version.created'],
      secret,
    })
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/evil/wharf.yaml`, { method: 'PUT', body: evil('nightly') })
    assert.equal(put.status, 200)
    const uploaded = join(dir, 'uploaded', 'artifacts', 'evil', 'wharf.yaml')

    const created = await api('POST', 'wharf/pipelines/runs/create', {
      pipeline: 'nightly',
      file: uploaded,
      owner_pid: process.pid,
      owner_host: hostname(),
      plan,
    })
    assert.ok(created.status === 403 || created.status === 404, `runs/create answered ${created.status}: ${JSON.stringify(created.body)}`)
    assert.deepEqual((await api('GET', 'wharf/pipelines/runs/list')).body.runs, [])

    assert.equal(await deliverVersionCreated(api, 'fraud'), 404)
    await sleep(3000) // time for a runner the trigger might have started to run its step
    assert.equal(await markerExists(), false, 'the uploaded command ran')
    assert.deepEqual((await api('GET', 'wharf/pipelines/runs/list')).body.runs, [])
  })

  it('refuses a configured path that is a symlink into the artifact root, for runs and for the webhook', async () => {
    const link = join(dir, 'linked.yaml')
    const { server, api, artifacts } = await start('symlinked', ['--pipelines', link])
    await api('POST', 'wharf/registry/webhooks', {
      url: `${server.url}/api/2.0/wharf/pipelines/trigger?pipeline=linked`,
      events: ['model_version.created'],
      secret,
    })
    assert.equal((await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/up/wharf.yaml`, { method: 'PUT', body: evil('linked') })).status, 200)
    await symlink(join(artifacts, 'up', 'wharf.yaml'), link)

    const created = await api('POST', 'wharf/pipelines/runs/create', { pipeline: 'linked', owner_pid: process.pid, owner_host: hostname(), plan })
    assert.equal(created.status, 403, JSON.stringify(created.body))
    assert.equal(created.body.error_code, 'PERMISSION_DENIED')
    assert.equal(await deliverVersionCreated(api, 'churn'), 403)
    await sleep(3000)
    assert.equal(await markerExists(), false, 'the command behind the symlink ran')
  })

  it('records runs of a configured pipeline by name or by its configured path, and only with that path', async () => {
    const configured = join(dir, 'configured', 'wharf.yaml')
    const { api } = await start('named')
    const byName = await api('POST', 'wharf/pipelines/runs/create', { pipeline: 'benign', owner_pid: process.pid, owner_host: hostname(), plan })
    assert.equal(byName.status, 200, JSON.stringify(byName.body))
    assert.equal(byName.body.run.file, configured)
    await api('POST', 'wharf/pipelines/runs/finish', { run_id: byName.body.run.run_id, status: 'succeeded' })

    const byBoth = await api('POST', 'wharf/pipelines/runs/create', {
      pipeline: 'benign',
      file: configured,
      owner_pid: process.pid,
      owner_host: hostname(),
      plan,
    })
    assert.equal(byBoth.status, 200, JSON.stringify(byBoth.body))
    await api('POST', 'wharf/pipelines/runs/finish', { run_id: byBoth.body.run.run_id, status: 'succeeded' })
    const byPath = await api('POST', 'wharf/pipelines/runs/create', {
      file: join(dir, 'configured', '.', 'wharf.yaml'),
      owner_pid: process.pid,
      owner_host: hostname(),
      plan,
    })
    assert.equal(byPath.status, 200, JSON.stringify(byPath.body))
    assert.equal(byPath.body.run.pipeline, 'benign')
    await api('POST', 'wharf/pipelines/runs/finish', { run_id: byPath.body.run.run_id, status: 'succeeded' })

    const elsewhere = join(dir, 'elsewhere.yaml')
    await writeFile(elsewhere, evil('benign'))
    const other = await api('POST', 'wharf/pipelines/runs/create', {
      pipeline: 'benign',
      file: elsewhere,
      owner_pid: process.pid,
      owner_host: hostname(),
      plan,
    })
    assert.equal(other.status, 403, JSON.stringify(other.body))
    assert.equal(other.body.error_code, 'PERMISSION_DENIED')
    const otherByPath = await api('POST', 'wharf/pipelines/runs/create', { file: elsewhere, owner_pid: process.pid, owner_host: hostname(), plan })
    assert.equal(otherByPath.status, 403, JSON.stringify(otherByPath.body))
    const unknown = await api('POST', 'wharf/pipelines/runs/create', { pipeline: 'nightly', owner_pid: process.pid, owner_host: hostname(), plan })
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body))
    const files = ((await api('GET', 'wharf/pipelines/runs/list')).body.runs as { file: string }[]).map((r) => r.file)
    assert.deepEqual(files, [configured, configured, configured])
  })
})
