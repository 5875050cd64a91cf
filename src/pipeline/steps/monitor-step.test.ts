import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { aliasVersion, deployApi } from '../../deploy/fixtures/registry-fixture.js'
import { type RunningServer, startServer } from '../../integration/server-process.js'
import { runPipelineProcess } from '../fixtures/pipeline-process.js'
import { isAlive, tempDir, waitFor } from '../../testing/fixtures.js'
import { runTrain } from '../../train/index.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const dataFile = join(root, 'data/diabetes.csv')

const pipelineYaml = `pipeline: watch-production
environments:
  staging: { target: local, authMode: none }
  production:
    target: local
    authMode: none
    monitoring:
      drift: { windowRows: 100, minRows: 50 }
stages:
  - name: production
    steps:
      - name: promote
        promote: { model: diabetes, from: staging, to: production }
      - name: watch
        monitor: { model: diabetes, environment: production, duration: 3m, interval: 1s, max_psi: 0.25 }
`

const watchYaml = (name: string, monitor: string) => `pipeline: ${name}
stages:
  - name: watch
    steps:
      - name: watch
        monitor: { model: diabetes, environment: production, ${monitor} }
`

/** Sends 100 training rows with bmi moved two standard deviations up, ten rows a request. */
async function sendShiftedRows(url: string): Promise<void> {
  const [header, ...lines] = (await readFile(dataFile, 'utf8')).trim().split('\n')
  const columns = header!.split(',').filter((c) => c !== 'progression')
  const rows = lines.slice(0, 100).map((l) => l.split(',').map(Number).slice(0, columns.length))
  const bmi = columns.indexOf('bmi')
  const all = lines.map((l) => Number(l.split(',')[bmi]))
  const mean = all.reduce((a, b) => a + b, 0) / all.length
  const std = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length)
  for (let i = 0; i < rows.length; i += 10) {
    const data = rows.slice(i, i + 10).map((r) => r.map((v, n) => (n === bmi ? v + 2 * std : v)))
    const res = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns, data } }),
    })
    assert.equal(res.status, 200)
  }
}

/**
 * Issue #18: the post-promotion watch. A pipeline promotes v2 from staging to production and
 * monitors production; inputs with one feature shifted by two standard deviations arrive, the
 * monitor step sees that feature's PSI pass its threshold, rolls production back to v1 (the alias
 * with it) and fails the run.
 */
describe('the monitor pipeline step', () => {
  let dir: string
  let server: RunningServer
  const pids = new Set<number>()

  const endpoint = async (environment: string) =>
    (await deployApi(server.url, 'GET', 'list', { environment })).body.endpoints.find((e: any) => e.model_name === 'diabetes')

  before(async () => {
    dir = await tempDir('monitor-step')
    await writeFile(join(dir, 'wharf.yaml'), pipelineYaml)
    await writeFile(join(dir, 'quiet.yaml'), watchYaml('watch-quiet', 'duration: 2s, interval: 1s, max_psi: 0.25'))
    await writeFile(join(dir, 'fail.yaml'), watchYaml('watch-fail', 'duration: 3m, interval: 1s, max_psi: 0.25, on_breach: fail'))
    await writeFile(
      join(dir, 'typo.yaml'),
      watchYaml('watch-typo', 'duration: 3m, interval: 1s, max_psi: 0.25').replace('environment: production', 'environment: staging'),
    )
    const pipelines = ['quiet.yaml', 'fail.yaml', 'typo.yaml'].map((f) => join(dir, f)).join(',')
    server = await startServer(
      ['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts'), '--pipelines', pipelines],
      {
        WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
      },
    )
    for (const alpha of ['0.01', '0.02'])
      await runTrain({
        data: dataFile,
        target: 'progression',
        model: 'elasticnet',
        param: [`alpha=${alpha}`],
        register: 'diabetes',
        trackingUri: server.url,
        log: () => {},
      })
    for (const [version, environment] of [
      ['1', 'production'],
      ['2', 'staging'],
    ] as const) {
      const deployed = await deployApi(server.url, 'POST', 'deploy', { model_name: 'diabetes', version, environment })
      assert.equal(deployed.status, 200, JSON.stringify(deployed.body))
    }
  })

  after(async () => {
    for (const environment of ['staging', 'production']) {
      for (const i of (await endpoint(environment).catch(() => undefined))?.instances ?? []) if (i.pid) pids.add(i.pid)
      await deployApi(server.url, 'POST', 'undeploy', { model_name: 'diabetes', environment }).catch(() => {})
    }
    await server.stop()
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  })

  it('rolls production back to the version before the promotion when drift passes max_psi, and fails the run', async () => {
    const run = runPipelineProcess(dir, server.url, 'wharf.yaml')
    const promoted = await waitFor(
      'v2 live in production',
      async () => {
        assert.ok(run.isRunning(), `the pipeline ended before the promotion: ${run.output()}`)
        const e = await endpoint('production')
        return e?.live_version === '2' && e.health === 'ready' && e
      },
      60_000,
    )
    for (const i of promoted.instances) if (i.pid) pids.add(i.pid)
    await sendShiftedRows(promoted.url)

    const code = await run.exited
    const output = run.output()
    assert.notEqual(code, 0, output)
    assert.match(output, /breach: v2 feature bmi PSI \d+\.\d+ > 0\.25/)
    assert.match(output, /rolled production back from v2 to v1/)
    const after = await endpoint('production')
    assert.equal(after.live_version, '1')
    assert.equal(await aliasVersion(server.url, 'diabetes', 'production'), '1')
    const history = (await deployApi(server.url, 'GET', 'history', { environment: 'production', model_name: 'diabetes' })).body.changes
    assert.deepEqual(
      history.map((c: any) => [c.action, c.from_version, c.to_version]),
      [
        ['deploy', null, '1'],
        ['promote', '1', '2'],
        ['rollback', '2', '1'],
      ],
    )
  })

  it('passes when nothing breaches for its duration; with on_breach: fail it fails without a rollback; a wrong environment fails it', async () => {
    // Production serves v1 again, which has had no traffic there: nothing to judge, nothing breached.
    const quiet = runPipelineProcess(dir, server.url, 'quiet.yaml')
    assert.equal(await quiet.exited, 0, quiet.output())
    assert.match(quiet.output(), /no drift window yet/)
    assert.match(quiet.output(), /no breach in \d+ checks over 2 s/)

    // Staging monitors no drift: a watch there is a mistake in wharf.yaml, not a quiet endpoint.
    const typo = runPipelineProcess(dir, server.url, 'typo.yaml')
    assert.notEqual(await typo.exited, 0)
    assert.match(typo.output(), /environment 'staging' does not monitor drift/)

    const fail = runPipelineProcess(dir, server.url, 'fail.yaml')
    await sendShiftedRows((await endpoint('production')).url)
    const code = await fail.exited
    assert.notEqual(code, 0, fail.output())
    assert.match(fail.output(), /breach: v1 feature bmi PSI/)
    assert.doesNotMatch(fail.output(), /rolled/)
    assert.equal((await endpoint('production')).live_version, '1')
    const history = (await deployApi(server.url, 'GET', 'history', { environment: 'production', model_name: 'diabetes' })).body.changes
    assert.equal(history.length, 3, 'no change after the failing watch')
  })
})
