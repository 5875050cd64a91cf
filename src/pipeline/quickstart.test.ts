import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { loadModel } from '../models/index.js'
import { resolveModel } from '../serving/index.js'
import { freePort, isAlive, tempDir, waitFor } from '../testing/fixtures.js'

/**
 * The quickstart end to end, with a real server, real runners and real serving processes:
 * examples/diabetes/quickstart.sh from an empty data directory, the gate, resume after SIGKILL,
 * secrets, approvals and the lock, and a registry webhook starting a run.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const wharfBin = join(root, 'bin/wharf.js')
const example = join(root, 'examples/diabetes/wharf.yaml')
const quickstart = join(root, 'examples/diabetes/quickstart.sh')

const webhookSecret = `whsec-${Math.random().toString(36).slice(2)}`
const demoToken = `demo-tok-${Math.random().toString(36).slice(2)}`
const apiToken = `api-tok-${Math.random().toString(36).slice(2)}`
const fileKey = `file-key-${Math.random().toString(36).slice(2)}`
const secrets = [webhookSecret, demoToken, apiToken, fileKey]

let work: string
let dataDir: string
let uri: string
const outputs: string[] = []

interface Done {
  code: number | null
  stdout: string
  stderr: string
}

function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Done>; stdout: () => string } {
  const child = spawn(command, args, {
    cwd: work,
    env: { ...process.env, WHARF_TRACKING_URI: uri, WHARF_PIPELINE_MODEL_CACHE_DIR: join(dataDir, 'pipeline-models'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  const done = new Promise<Done>((resolve) =>
    child.once('close', (code) => {
      outputs.push(stdout, stderr)
      resolve({ code, stdout, stderr })
    }),
  )
  return { child, done, stdout: () => stdout }
}

const wharf = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => start(process.execPath, [wharfBin, ...args], env).done

async function api(path: string, body?: unknown): Promise<any> {
  const res = await fetch(
    `${uri}/api/2.0/${path}`,
    body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  )
  const json = await res.json()
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

const endpoint = async (environment: string) =>
  (await api(`wharf/deployments/list?environment=${environment}`)).endpoints.find((e: any) => e.model_name === 'diabetes')
const runsOf = async (pipeline: string) => (await api(`wharf/pipelines/runs/list?pipeline=${pipeline}`)).runs as any[]

const row = {
  columns: ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
  data: [[0.0381, 0.0507, 0.0617, 0.0219, -0.0442, -0.0348, -0.0434, -0.0026, 0.0199, -0.0176]],
}

async function offlinePrediction(version: string): Promise<number> {
  const resolved = await resolveModel(`models:/diabetes/${version}`, { trackingUri: uri, token: undefined, cacheDir: join(work, 'offline-cache') })
  const model = await loadModel(resolved.dir)
  try {
    return Number((await model.predict({ columnNames: row.columns, data: row.data })).values![0])
  } finally {
    await model.close()
  }
}

async function predict(url: string): Promise<number> {
  const res = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dataframe_split: row }),
  })
  assert.equal(res.status, 200)
  return ((await res.json()) as { predictions: number[] }).predictions[0]!
}

describe('the diabetes quickstart pipeline', { concurrency: false }, () => {
  before(async () => {
    work = await tempDir('quickstart')
    dataDir = join(work, 'data')
    uri = `http://127.0.0.1:${await freePort()}`
  })

  after(async () => {
    // Serving processes outlive the server on purpose (it adopts them on restart): stop them here.
    const listed = await api('wharf/deployments/list').catch(() => ({ endpoints: [] }))
    const pids: number[] = listed.endpoints.flatMap((e: any) => e.instances.flatMap((i: any) => (i.pid ? [i.pid] : [])))
    const serverPid = Number(await readFile(join(dataDir, 'server.pid'), 'utf8').catch(() => '0'))
    if (serverPid > 0) pids.push(serverPid)
    for (const pid of pids)
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        /* gone */
      }
    await waitFor('the server and serving processes to exit', () => pids.every((pid) => !isAlive(pid)), 20_000).catch(() => {})
    await rm(work, { recursive: true, force: true })
  })

  it('starts a server on an empty data directory, runs every stage, and production answers the right predictions', async () => {
    // The server quickstart.sh starts records runs of the pipelines it is configured with: the
    // example (WHARF_PROJECT_FILE) and the two the later tests write.
    const pipelines = ['approvals', 'secretive'].map((p) => join(work, p, 'wharf.yaml')).join(',')
    const { code, stdout, stderr } = await start('sh', [quickstart], {
      WHARF_QUICKSTART_DIR: dataDir,
      WHARF_PIPELINE_WEBHOOK_SECRET: webhookSecret,
      WHARF_DEMO_TOKEN: demoToken,
      WHARF_PIPELINES: pipelines,
    }).done
    assert.equal(code, 0, stdout + stderr)
    for (const stage of ['train', 'staging', 'gate', 'production']) assert.match(stdout, new RegExp(`✓ stage ${stage} `))
    const curl = /curl -s -X POST (\S+)\/invocations/.exec(stdout)
    assert.ok(curl, stdout)
    const production = await endpoint('production')
    assert.equal(production.live_version, '1')
    assert.equal(curl[1], production.url)
    assert.ok(Math.abs((await predict(production.url)) - (await offlinePrediction('1'))) < 1e-9)
  })

  it('stops a deliberately worse model at the gate, and production keeps serving the first version', async () => {
    const { code, stdout } = await wharf(['pipeline', 'run', example, '--var', 'alpha=10'])
    assert.equal(code, 1)
    assert.match(stdout, /gate closed: .*worse than production v1/)
    assert.match(stdout, /- stage production skipped/)
    const production = await endpoint('production')
    assert.equal(production.live_version, '1')
    assert.ok(Math.abs((await predict(production.url)) - (await offlinePrediction('1'))) < 1e-9)
  })

  it('resumes a runner killed with SIGKILL in the middle of deploy to completion, with no finished step done twice', async () => {
    const runner = start(process.execPath, [wharfBin, 'pipeline', 'run', example])
    await waitFor('the deploy step', () => runner.stdout().includes('▶ staging/deploy_staging'), 20_000)
    runner.child.kill('SIGKILL')
    await runner.done
    const runId = /run ([0-9a-f]{16})/.exec(runner.stdout())![1]!
    const killed = (await api(`wharf/pipelines/runs/get?run_id=${runId}`)).run
    assert.equal(killed.steps.find((s: any) => s.step === 'deploy_staging').status, 'running')
    const resumed = await wharf(['pipeline', 'resume', runId])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.doesNotMatch(resumed.stdout, /▶ train\//)
    const run = (await api(`wharf/pipelines/runs/get?run_id=${runId}`)).run
    assert.equal(run.status, 'succeeded')
    const attempts = Object.fromEntries(run.steps.map((s: any) => [s.step, s.attempts]))
    assert.deepEqual(attempts, { train: 1, register: 1, deploy_staging: 2, test_staging: 1, gate: 1, promote: 1 })
    const versions = (await api(`mlflow/model-versions/search?filter=${encodeURIComponent("name='diabetes'")}`)).model_versions
    assert.equal(versions.length, 3, 'one version per run: 1 (quickstart), 2 (worse), 3 (this one)')
    assert.equal((await endpoint('production')).live_version, '3')
  })

  it('refuses a second run while one runs, and a manual gate waits for approve or reject', async () => {
    const dir = join(work, 'approvals')
    await mkdir(dir, { recursive: true })
    const file = join(dir, 'wharf.yaml')
    await writeFile(
      file,
      `
pipeline: approvals
stages:
  - { name: build, steps: [{ name: build, command: "echo built" }] }
  - { name: review, steps: [{ name: review, gate: { approval: manual, timeout: 60s } }] }
  - { name: ship, steps: [{ name: ship, command: "echo shipped" }] }
`,
    )
    const waiting = async () => {
      const run = (await runsOf('approvals'))[0]
      if (run?.status !== 'running') return undefined
      const full = (await api(`wharf/pipelines/runs/get?run_id=${run.run_id}`)).run
      return full.steps.find((s: any) => s.step === 'review').status === 'waiting' ? (full.run_id as string) : undefined
    }
    const first = start(process.execPath, [wharfBin, 'pipeline', 'run', file])
    const runId = await waitFor('the gate to wait', waiting, 20_000)
    const second = await wharf(['pipeline', 'run', file])
    assert.equal(second.code, 1)
    assert.match(second.stderr, /already running/)
    assert.equal((await wharf(['pipeline', 'approve', runId, '--comment', 'looks good'])).code, 0)
    const finished = await first.done
    assert.equal(finished.code, 0, finished.stdout + finished.stderr)
    assert.match(finished.stdout, /approved by/)

    const third = start(process.execPath, [wharfBin, 'pipeline', 'run', file])
    const rejected = await waitFor(
      'the gate to wait again',
      async () => {
        const id = await waiting()
        return id !== undefined && id !== runId ? id : undefined
      },
      20_000,
    )
    assert.equal((await wharf(['pipeline', 'reject', rejected])).code, 0)
    assert.equal((await third.done).code, 1)
    const run = (await api(`wharf/pipelines/runs/get?run_id=${rejected}`)).run
    assert.match(run.steps.find((s: any) => s.step === 'review').error, /rejected by/)
    assert.equal(run.stages.find((s: any) => s.stage === 'ship').status, 'skipped')
  })

  it('never lets a secret appear in any output, stored log, error, exported file or the data directory', async () => {
    const dir = join(work, 'secretive')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'key.txt'), `${fileKey}\n`)
    const file = join(dir, 'wharf.yaml')
    await writeFile(
      file,
      `
pipeline: secretive
secrets:
  API_TOKEN: { env: TEST_API_TOKEN }
  FILE_KEY: { file: key.txt }
  WHARF_DEMO_TOKEN: { env: WHARF_DEMO_TOKEN }
stages:
  - name: leak
    steps:
      - name: echo
        command: "echo token=$API_TOKEN key=$FILE_KEY demo=$WHARF_DEMO_TOKEN; echo WHARF_OUTPUT t=$API_TOKEN; echo \${{ secrets.FILE_KEY }} >&2"
      - name: bad_deploy
        deploy: { model: "m-\${{ secrets.API_TOKEN }}", version: 1, environment: staging }
`,
    )
    const env = { TEST_API_TOKEN: apiToken, WHARF_DEMO_TOKEN: demoToken }
    const run = await wharf(['pipeline', 'run', file], env)
    assert.equal(run.code, 1)
    assert.match(run.stdout, /token=\*\*\* key=\*\*\* demo=\*\*\*/)
    const runId = /run ([0-9a-f]{16})/.exec(run.stdout)![1]!
    const logs = await wharf(['pipeline', 'logs', runId])
    assert.match(logs.stdout, /bad_deploy.*error: .*m-\*\*\*/)
    await wharf(['pipeline', 'runs', '--json'])
    await wharf(['pipeline', 'logs', runId, '--json'])
    for (const format of ['azure-pipelines', 'github-actions']) {
      const exported = join(dir, `${format}.yml`)
      assert.equal((await wharf(['pipeline', 'export', file, '--format', format, '--output', exported], env)).code, 0)
      outputs.push(await readFile(exported, 'utf8'))
    }
    for (const text of outputs) for (const s of secrets) assert.ok(!text.includes(s), `a secret appears in an output:\n${text}`)
    for (const path of await filesUnder(dataDir)) {
      const bytes = await readFile(path)
      for (const s of secrets) assert.ok(!bytes.includes(s), `a secret appears in ${path}`)
    }
  })

  it('exports Azure Pipelines and GitHub Actions files that parse as YAML with every stage calling wharf', async () => {
    const azure = await wharf(['pipeline', 'export', example, '--format', 'azure-pipelines'])
    const github = await wharf(['pipeline', 'export', example, '--format', 'github-actions'])
    const stages = ['train', 'staging', 'gate', 'production']
    assert.deepEqual(
      parse(azure.stdout).stages.map((s: any) => s.stage),
      stages,
    )
    assert.deepEqual(Object.keys(parse(github.stdout).jobs), stages)
    for (const stage of stages) {
      assert.match(azure.stdout, new RegExp(`wharf pipeline run \\S*wharf.yaml --stage ${stage} `))
      assert.match(github.stdout, new RegExp(`wharf pipeline run \\S*wharf.yaml --stage ${stage} `))
    }
    assert.match(azure.stdout, /WHARF_DEMO_TOKEN: \$\(WHARF_DEMO_TOKEN\)/)
    assert.match(github.stdout, /WHARF_DEMO_TOKEN: \$\{\{ secrets.WHARF_DEMO_TOKEN \}\}/)
  })

  it('starts the staging and gate stages when the registry announces a new version through a signed webhook', async () => {
    await api('wharf/registry/webhooks', {
      url: `${uri}/api/2.0/wharf/pipelines/trigger?pipeline=diabetes`,
      events: ['model_version.created'],
      model_name: 'diabetes',
      secret: webhookSecret,
    })
    const v1 = (await api('mlflow/model-versions/get?name=diabetes&version=1')).model_version
    const created = (await api('mlflow/model-versions/create', { name: 'diabetes', source: v1.source, run_id: v1.run_id })).model_version
    const run = await waitFor(
      'the webhook run to finish',
      async () => {
        const r = (await runsOf('diabetes')).find((x) => x.trigger.kind === 'webhook')
        return r && r.status !== 'running' ? (await api(`wharf/pipelines/runs/get?run_id=${r.run_id}`)).run : undefined
      },
      30_000,
    )
    assert.equal(run.status, 'succeeded', JSON.stringify(run))
    assert.deepEqual(run.selected_stages, ['staging', 'gate'])
    assert.equal(run.trigger.version, created.version)
    assert.deepEqual(
      run.stages.map((s: any) => s.status),
      ['pending', 'succeeded', 'succeeded', 'pending'],
    )
    assert.equal((await endpoint('staging')).live_version, created.version)
  })
})

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(path)))
    else if (entry.isFile() && (await stat(path)).size < 50 * 1024 * 1024) out.push(path)
  }
  return out
}
