import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFile, cp, mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { wharfBin } from '../app-paths.js'
import { type RunningServer, startServer } from '../integration/server-process.js'
import { loadModel } from '../models/index.js'
import { resolveModel } from '../serving/index.js'
import { DatabricksJobsStandIn } from './fixtures/databricks-jobs-stand-in.js'
import { notebookPython } from './fixtures/notebook-venv.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const token = `dapi-${Math.random().toString(36).slice(2)}`
const model = 'diabetes-databricks'
const row = {
  columns: ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
  data: [[0.0381, 0.0507, 0.0617, 0.0219, -0.0442, -0.0348, -0.0434, -0.0026, 0.0199, -0.0176]],
}

interface Done {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * examples/databricks end to end: its notebook as the training step (scikit-learn, mlflow and
 * skl2onnx in the pinned environment), run here (train_on=local) and then as a Databricks job
 * (the Jobs API stand-in executes the same notebook, which logs to Wharf for real); each time the
 * pipeline registers the model, deploys it to staging (local target), tests and gates it, and
 * promotes it to production, which answers the predictions of the registered version.
 */
describe('the examples/databricks pipeline: a notebook trains, Wharf registers, deploys and promotes', { concurrency: false }, () => {
  let work: string
  let example: string
  let server: RunningServer
  let standIn: DatabricksJobsStandIn

  const wharf = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<Done>((resolve) => {
      const child = spawn(process.execPath, [wharfBin, ...args], {
        cwd: example,
        env: { ...process.env, WHARF_TRACKING_URI: server.url, WHARF_PIPELINE_MODEL_CACHE_DIR: join(work, 'models'), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.once('close', (code) => resolve({ code, stdout, stderr }))
    })
  const api = async (path: string) => {
    const res = await fetch(`${server.url}/api/2.0/${path}`)
    return { status: res.status, body: (await res.json()) as any }
  }
  const production = async () => (await api('wharf/deployments/list?environment=production')).body.endpoints.find((e: any) => e.model_name === model)

  /** POST /invocations, with the endpoint's key when its environment hands out keys. */
  async function predict(url: string): Promise<number> {
    const keys = await api(`wharf/deployments/keys?environment=production&model_name=${model}`)
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(keys.status === 200 && keys.body.primary_key ? { authorization: `Bearer ${keys.body.primary_key}` } : {}),
    }
    const res = await fetch(`${url}/invocations`, { method: 'POST', headers, body: JSON.stringify({ dataframe_split: row }) })
    assert.equal(res.status, 200, await res.clone().text())
    return ((await res.json()) as { predictions: number[] }).predictions[0]!
  }

  async function offline(version: string): Promise<number> {
    const resolved = await resolveModel(`models:/${model}/${version}`, { trackingUri: server.url, token: undefined, cacheDir: join(work, 'offline') })
    const loaded = await loadModel(resolved.dir)
    try {
      return Number((await loaded.predict({ columnNames: row.columns, data: row.data })).values![0])
    } finally {
      await loaded.close()
    }
  }

  async function promotedAnswers(version: string): Promise<void> {
    const endpoint = await production()
    assert.equal(endpoint.live_version, version)
    const online = await predict(endpoint.url)
    assert.ok(Math.abs(online - (await offline(version))) < 1e-4, `production answers ${online}`)
    assert.ok(online > 25 && online < 350, `a diabetes progression, got ${online}`)
  }

  before(async () => {
    const python = await notebookPython()
    work = await realpath(await mkdtemp(join(tmpdir(), 'wharf-notebook-pipeline-')))
    example = join(work, 'examples', 'databricks')
    await mkdir(join(work, 'examples', 'diabetes'), { recursive: true })
    await cp(join(root, 'examples', 'databricks'), example, { recursive: true })
    await copyFile(join(root, 'examples', 'diabetes', 'diabetes.csv'), join(work, 'examples', 'diabetes', 'diabetes.csv'))
    // wharf.yaml names .venv/bin/python: here, the pinned environment built once for the tests.
    await symlink(dirname(dirname(python)), join(example, '.venv'))
    standIn = new DatabricksJobsStandIn({
      token,
      secrets: { 'wharf/tracking-token': 'unused-by-a-server-without-auth' },
      // The repository's notebook (source GIT, path relative to the repository), run with the same runner.
      script: (task) => {
        assert.equal(task.notebook_path, 'examples/databricks/train')
        return { execute: { notebook: join(example, 'train.ipynb'), python } }
      },
    })
    await standIn.start()
    server = await startServer([
      '--backend-store-uri',
      `sqlite:///${join(work, 'data', 'wharf.db')}`,
      '--artifacts-destination',
      join(work, 'data', 'artifacts'),
      '--pipelines',
      join(example, 'wharf.yaml'),
    ])
  })

  after(async () => {
    // Serving processes outlive the server on purpose (it adopts them on restart): stop them here.
    const listed = server
      ? await api('wharf/deployments/list').then(
          (r) => r.body,
          () => ({ endpoints: [] }),
        )
      : { endpoints: [] }
    for (const e of listed.endpoints ?? [])
      for (const i of e.instances ?? [])
        if (i.pid)
          try {
            process.kill(i.pid, 'SIGTERM')
          } catch {
            /* gone */
          }
    await server?.stop()
    await standIn?.stop()
    await sleep(300)
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('trains with the notebook here (train_on=local), then registers, deploys, tests, gates and promotes it', async () => {
    const run = await wharf(['pipeline', 'run', 'wharf.yaml', '--var', 'train_on=local'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    for (const stage of ['train', 'staging', 'gate', 'production']) assert.match(run.stdout, new RegExp(`✓ stage ${stage} `))
    assert.match(run.stdout, /- train_databricks skipped/)
    assert.match(run.stdout, /logged the executed notebook to run [0-9a-f]{32}/)
    await promotedAnswers('1')
  })

  it("trains with the same notebook as a Databricks job (the seed's way), logging to Wharf, and promotes that version", async () => {
    const run = await wharf(['pipeline', 'run', 'wharf.yaml', '--var', `databricks.host=${standIn.url}`], { DATABRICKS_TOKEN: token })
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /- train_local skipped/)
    const submit = standIn.calls.find((c) => c.path === '/api/2.1/jobs/runs/submit')!.body as any
    assert.deepEqual(submit.git_source, { git_url: 'https://dev.azure.com/contoso/mlops/_git/mlops', git_provider: 'azureDevOpsServices', git_branch: 'main' })
    assert.equal(submit.tasks[0].notebook_task.source, 'GIT')
    const { body: v2 } = await api(`mlflow/model-versions/get?name=${model}&version=2`)
    const { body: trained } = await api(`mlflow/runs/get?run_id=${v2.model_version.run_id}`)
    const params = Object.fromEntries(trained.run.data.params.map((p: any) => [p.key, p.value]))
    assert.equal(params.alpha, '0.01')
    assert.equal(params.l1_ratio, '0.5')
    const pipelineRun = /run ([0-9a-f]{16})/.exec(run.stdout)![1]
    assert.equal(trained.run.data.tags.find((t: any) => t.key === 'wharf.pipeline_run')?.value, pipelineRun)
    assert.ok(!run.stdout.includes(token))
    await promotedAnswers('2')
  })
})
