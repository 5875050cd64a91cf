import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { wharfBin } from '../../app-paths.js'
import { type RunningServer, startServer } from '../../integration/server-process.js'
import { DatabricksJobsStandIn, type TaskScript } from '../fixtures/databricks-jobs-stand-in.js'
import { DatabricksJobsClient } from './databricks-jobs-client.js'

const token = `dapi${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}`
const trace = [
  'ValueError                                Traceback (most recent call last)',
  'File <command-1>, line 12',
  '---> 12     raise ValueError("alpha must be positive")',
  `Authorization: Bearer ${token}`,
].join('\n')

/** What each test's notebook path does on the stand-in. */
const scripts: Record<string, TaskScript> = {
  '/Repos/ml/ok': { simulate: { result: 'SUCCESS', runMs: 300, exitValue: '' } },
  '/Repos/ml/fails': { simulate: { result: 'FAILED', runMs: 300, error: `ValueError: alpha must be positive (token ${token})`, errorTrace: trace } },
  '/Repos/ml/hangs': { hang: true },
}

interface Done {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The databricks step against a local stand-in of the Jobs API 2.1 (there is no workspace here),
 * with a real `wharf server` and real `wharf pipeline run` processes: success, a failed job, the
 * step's timeout, cancelling the pipeline run, and the token kept out of every log.
 */
describe('the databricks step (Jobs API 2.1 stand-in)', { concurrency: false }, () => {
  let dir: string
  let server: RunningServer
  let standIn: DatabricksJobsStandIn
  const outputs: string[] = []
  let okRun = ''
  let unavailable = false

  const start = (args: readonly string[]) => {
    const child = spawn(process.execPath, [wharfBin, ...args], {
      cwd: dir,
      env: { ...process.env, WHARF_TRACKING_URI: server.url, DATABRICKS_TOKEN: token },
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
    return { child: child as ChildProcess, done, stdout: () => stdout }
  }
  const wharf = (args: readonly string[]) => start(args).done
  const api = async (path: string) => (await (await fetch(`${server.url}/api/2.0/${path}`)).json()) as any
  const runOf = (stdout: string) => /run ([0-9a-f]{16})/.exec(stdout)![1]!
  const stepOf = async (stdout: string) => (await api(`wharf/pipelines/runs/get?run_id=${runOf(stdout)}`)).run.steps[0]

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'wharf-databricks-step-')))
    standIn = new DatabricksJobsStandIn({
      token,
      script: (task) => scripts[task.notebook_path]!,
      jobs: { 41: { notebook_path: '/Repos/ml/ok' } },
      secrets: { 'wharf/tracking-token': 'resolved-on-the-cluster' },
      echoAuthorization: true,
      pendingMs: 200,
      // A workspace that stops answering runs/get once the run is RUNNING: the step cannot watch it any more.
      fault: (method, path) =>
        unavailable && method === 'GET' && path === '/api/2.1/jobs/runs/get'
          ? { status: 503, body: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'The service is temporarily unavailable.' } }
          : undefined,
    })
    const host = await standIn.start()
    const pipeline = (name: string, step: string) =>
      `pipeline: ${name}\nvariables: { databricks.host: "${host}", alpha: 0.5 }\nsecrets: { databricks.token: { env: DATABRICKS_TOKEN } }\n` +
      `stages: [{ name: train, steps: [{ name: train, databricks: { host: "\${{ variables['databricks.host'] }}", token: "\${{ secrets['databricks.token'] }}", poll_interval: 100ms, ${step} } }] }]\n`
    await writeFile(
      join(dir, 'ok.yaml'),
      pipeline(
        'ok',
        'notebook: /Repos/ml/ok, new_cluster: { spark_version: 15.4.x-cpu-ml-scala2.12, num_workers: 1, spark_env_vars: { KEEP: me } }, tracking_token_secret: wharf/tracking-token, experiment: /Shared/diabetes, parameters: { alpha: "${{ variables.alpha }}" }',
      ),
    )
    await writeFile(join(dir, 'job.yaml'), pipeline('job', 'job_id: 41, parameters: { alpha: "0.3" }'))
    await writeFile(join(dir, 'fails.yaml'), pipeline('fails', 'notebook: /Repos/ml/fails, existing_cluster_id: 0123-456789-abcdefgh'))
    await writeFile(join(dir, 'slow.yaml'), pipeline('slow', 'notebook: /Repos/ml/hangs, timeout: 2s'))
    await writeFile(join(dir, 'hangs.yaml'), pipeline('hangs', 'notebook: /Repos/ml/hangs'))
    await writeFile(join(dir, 'nojob.yaml'), pipeline('nojob', 'job_id: 404'))
    await writeFile(join(dir, 'lost.yaml'), pipeline('lost', 'notebook: /Repos/ml/hangs'))
    const files = ['ok', 'job', 'fails', 'slow', 'hangs', 'nojob', 'lost'].map((n) => join(dir, `${n}.yaml`)).join(',')
    server = await startServer([
      '--backend-store-uri',
      `sqlite:///${join(dir, 'data', 'wharf.db')}`,
      '--artifacts-destination',
      join(dir, 'data', 'artifacts'),
      '--pipelines',
      files,
    ])
  })

  after(async () => {
    await server?.stop()
    await standIn?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('submits the notebook with the tracking URI handed over, waits for it, and reads the task run output', async () => {
    const run = await wharf(['pipeline', 'run', 'ok.yaml'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    okRun = runOf(run.stdout)
    const submit = standIn.calls.find((c) => c.path === '/api/2.1/jobs/runs/submit')!
    const body = submit.body as any
    assert.equal(submit.authorization, `Bearer ${token}`)
    const task = body.tasks[0]
    assert.equal(task.notebook_task.notebook_path, '/Repos/ml/ok')
    assert.deepEqual(task.notebook_task.base_parameters, {
      alpha: '0.5',
      wharf_tracking_uri: server.url,
      wharf_pipeline_run: okRun,
      wharf_experiment: '/Shared/diabetes',
    })
    assert.deepEqual(task.new_cluster.spark_env_vars, {
      KEEP: 'me',
      MLFLOW_TRACKING_URI: server.url,
      MLFLOW_TRACKING_TOKEN: '{{secrets/wharf/tracking-token}}',
      MLFLOW_EXPERIMENT_NAME: '/Shared/diabetes',
      WHARF_PIPELINE_RUN_ID: okRun,
    })
    assert.equal(body.timeout_seconds, 7260, 'Databricks ends the run a minute after the step would, should the runner be gone')
    assert.ok(typeof body.idempotency_token === 'string' && body.idempotency_token.length <= 64)
    const runId = /Databricks run (\d+) started/.exec(run.stdout)![1]!
    assert.ok(standIn.calls.some((c) => c.path === `/api/2.1/jobs/runs/get?run_id=${runId}`))
    // get-output takes a task run: the multi-task run's own id is refused by Databricks.
    const getOutput = standIn.calls.filter((c) => c.path.startsWith('/api/2.1/jobs/runs/get-output'))
    assert.deepEqual(
      getOutput.map((c) => c.path),
      [`/api/2.1/jobs/runs/get-output?run_id=${Number(runId) + 1}`],
    )
    assert.match(run.stdout, new RegExp(`Databricks run ${runId}: PENDING \\(Waiting for cluster\\)`))
    assert.match(run.stdout, new RegExp(`Databricks run ${runId}: TERMINATED/SUCCESS`))
    const step = await stepOf(run.stdout)
    assert.equal(step.outputs.databricks_run_id, runId)
    assert.match(step.outputs.run_page_url, new RegExp(`#job/0/run/${runId}$`))
  })

  it('starts an existing job with run-now and its notebook parameters', async () => {
    const run = await wharf(['pipeline', 'run', 'job.yaml'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const body = standIn.calls.find((c) => c.path === '/api/2.1/jobs/run-now')!.body as any
    assert.equal(body.job_id, 41)
    assert.equal(body.notebook_params.alpha, '0.3')
    assert.equal(body.notebook_params.wharf_tracking_uri, server.url)
  })

  it("fails the step with the job's error message, and logs the error trace", async () => {
    const run = await wharf(['pipeline', 'run', 'fails.yaml'])
    assert.equal(run.code, 1)
    const step = await stepOf(run.stdout)
    assert.equal(step.status, 'failed')
    assert.match(step.error, /^Databricks run \d+ ended TERMINATED\/FAILED: ValueError: alpha must be positive \(token \*\*\*\)$/)
    const logs = await wharf(['pipeline', 'logs', runOf(run.stdout)])
    assert.match(logs.stdout, /---> 12 {5}raise ValueError\("alpha must be positive"\)/)
    assert.match(logs.stdout, /Authorization: Bearer \*\*\*/)
    const body = standIn.calls.filter((c) => c.path === '/api/2.1/jobs/runs/submit').at(-1)!.body as any
    assert.equal(body.tasks[0].existing_cluster_id, '0123-456789-abcdefgh')
  })

  it('cancels the Databricks run when the step runs past its timeout', async () => {
    const run = await wharf(['pipeline', 'run', 'slow.yaml'])
    assert.equal(run.code, 1)
    const runId = Number(/Databricks run (\d+) started/.exec(run.stdout)![1])
    assert.ok(standIn.calls.some((c) => c.path === '/api/2.1/jobs/runs/cancel' && (c.body as any).run_id === runId))
    assert.deepEqual(standIn.run(runId)!.state, {
      life_cycle_state: 'TERMINATED',
      result_state: 'CANCELED',
      state_message: 'Run cancelled.',
      user_cancelled_or_timedout: true,
    })
    const step = await stepOf(run.stdout)
    assert.equal(step.error, `Databricks run ${runId} was cancelled: it ran past the step's timeout of 2 s`)
    assert.match(run.stdout, new RegExp(`Databricks run ${runId}: TERMINATED/CANCELED \\(Run cancelled\\.\\)`))
  })

  it('cancels the Databricks run when the pipeline run is cancelled (SIGINT, as CI systems send)', async () => {
    const runner = start(['pipeline', 'run', 'hangs.yaml'])
    const runId = await (async () => {
      for (let i = 0; i < 300; i++) {
        const m = /Databricks run (\d+): RUNNING/.exec(runner.stdout())
        if (m) return Number(m[1])
        await sleep(100)
      }
      throw new Error(`the run never got to RUNNING: ${runner.stdout()}`)
    })()
    runner.child.kill('SIGINT')
    const done = await runner.done
    assert.equal(done.code, 1, done.stdout + done.stderr)
    assert.ok(standIn.calls.some((c) => c.path === '/api/2.1/jobs/runs/cancel' && (c.body as any).run_id === runId))
    assert.equal(standIn.run(runId)!.state.result_state, 'CANCELED')
    const wharfRun = (await api(`wharf/pipelines/runs/get?run_id=${runOf(done.stdout)}`)).run
    assert.equal(wharfRun.status, 'failed')
    assert.match(wharfRun.error, /cancelled \(SIGINT received\)/)
    assert.equal(wharfRun.steps[0].error, `Databricks run ${runId} was cancelled: the pipeline run was cancelled`)
  })

  it('cancels the Databricks run when it cannot be watched any more (runs/get keeps failing), leaving none behind', async () => {
    const runner = start(['pipeline', 'run', 'lost.yaml'])
    for (let i = 0; i < 300 && !/Databricks run \d+: RUNNING/.test(runner.stdout()); i++) await sleep(100)
    unavailable = true
    const done = await runner.done
    unavailable = false
    assert.equal(done.code, 1)
    const runId = Number(/Databricks run (\d+) started/.exec(done.stdout)![1])
    assert.ok(standIn.calls.some((c) => c.path === '/api/2.1/jobs/runs/cancel' && (c.body as any).run_id === runId))
    assert.equal(standIn.run(runId)!.state.result_state, 'CANCELED')
    const step = await stepOf(done.stdout)
    assert.match(
      step.error,
      new RegExp(`^Databricks run ${runId} was cancelled: watching it failed: Databricks GET /api/2.1/jobs/runs/get answered 503 TEMPORARILY_UNAVAILABLE`),
    )
  })

  it('never lets the token appear: not in output, stored logs, errors, nor a server echoing the Authorization header', async () => {
    const run = await wharf(['pipeline', 'run', 'nojob.yaml'])
    assert.equal(run.code, 1)
    const step = await stepOf(run.stdout)
    assert.match(
      step.error,
      /Databricks POST \/api\/2\.1\/jobs\/run-now answered 400 INVALID_PARAMETER_VALUE: Job 404 does not exist\. \(request had Authorization: Bearer \*\*\*\)/,
    )
    for (const id of [okRun, runOf(run.stdout)]) {
      await wharf(['pipeline', 'logs', id])
      await wharf(['pipeline', 'logs', id, '--json'])
    }
    await wharf(['pipeline', 'runs', '--json'])
    for (const text of outputs) assert.ok(!text.includes(token), `the token appears in:\n${text}`)
    for (const path of await filesUnder(join(dir, 'data'))) assert.ok(!(await readFile(path)).includes(token), `the token appears in ${path}`)
  })

  it('refuses a host that would carry the token in clear text to another machine', () => {
    assert.throws(() => new DatabricksJobsClient('http://adb-1.azuredatabricks.net', token), /must be https:\/\//)
    assert.throws(() => new DatabricksJobsClient('adb-1.azuredatabricks.net', token), /must be a URL/)
    assert.doesNotThrow(() => new DatabricksJobsClient('https://adb-1.azuredatabricks.net', token))
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
