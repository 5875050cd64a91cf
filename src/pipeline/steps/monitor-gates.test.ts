import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { deployApi } from '../../deploy/fixtures/registry-fixture.js'
import { type RunningServer, startServer } from '../../integration/server-process.js'
import { assertErrorAnswer, isAlive, tempDir, waitFor } from '../../testing/fixtures.js'
import { runTrain } from '../../train/index.js'
import { runPipelineProcess } from '../fixtures/pipeline-process.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** The step's own lines of a run's output, as test diagnostics (the figures the watch judged). */
const diagnose = (t: { diagnostic(line: string): void }, output: string) => {
  for (const line of output.split('\n').map((l) => l.trim())) if (/^(no breach|breach|last check|rolled|live traffic)/.test(line)) t.diagnostic(line)
}

const watchYaml = (name: string, model: string, monitor: string) => `pipeline: ${name}
stages:
  - name: watch
    steps:
      - name: watch
        monitor: { model: ${model}, environment: production, ${monitor} }
`

async function csv(file: string, target: string): Promise<{ columns: string[]; rows: number[][]; labels: number[] }> {
  const [header, ...lines] = (await readFile(join(root, 'data', file), 'utf8')).trim().split('\n')
  const all = header!.split(',')
  const columns = all.filter((c) => c !== target)
  const parsed = lines.map((l) => l.split(',').map(Number))
  return { columns, rows: parsed.map((r) => columns.map((c) => r[all.indexOf(c)]!)), labels: parsed.map((r) => r[all.indexOf(target)]!) }
}

/**
 * Real requests against a deployed endpoint, one at a time until stopped: every `badEvery`-th one
 * leaves out the first column, which the model needs, so the serving process refuses it (400).
 */
function sendTraffic(url: string, columns: string[], rows: number[][], badEvery: number) {
  let isStopped = false
  const statuses = new Map<number, number>()
  const done = (async () => {
    for (let i = 0; !isStopped; i++) {
      const isBad = i % badEvery === 0
      const data = rows.slice((i * 5) % (rows.length - 5), ((i * 5) % (rows.length - 5)) + 5)
      const body = isBad ? { dataframe_split: { columns: columns.slice(1), data: data.map((r) => r.slice(1)) } } : { dataframe_split: { columns, data } }
      const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      await res.arrayBuffer()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    }
  })()
  return {
    statuses,
    stop: async () => {
      isStopped = true
      await done
    },
  }
}

/**
 * Issue #18, the `monitor` gate on error rate and shadow disagreement against real deployments:
 * real `wharf serve` processes, real requests, real models trained by `wharf train`.
 */
describe('the monitor step on error rate and shadow disagreement', () => {
  let dir: string
  let server: RunningServer
  const pids = new Set<number>()

  const endpoint = async (model: string) =>
    (await deployApi(server.url, 'GET', 'list', { environment: 'production' })).body.endpoints.find((e: any) => e.model_name === model)
  const deploy = async (model: string, version: string, extra: Record<string, unknown> = {}) => {
    const deployed = await deployApi(server.url, 'POST', 'deploy', { model_name: model, version, environment: 'production', ...extra })
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body))
    for (const i of deployed.body.endpoint.instances ?? []) if (i.pid) pids.add(i.pid)
    return deployed.body.endpoint
  }
  const train = (data: string, target: string, model: string, param: string[], register: string) =>
    runTrain({ data, target, model, param, register, trackingUri: server.url, log: () => {} })

  before(async () => {
    dir = await tempDir('monitor-gates')
    const errors = 'max_error_rate: 0.2, count_4xx: true, min_requests: 10, duration: 5s, interval: 1s'
    // The project file defines the environment and is itself the quiet error-rate watch.
    await writeFile(
      join(dir, 'wharf.yaml'),
      watchYaml('errors-quiet', 'diabetes', errors).replace('stages:', 'environments:\n  production: { target: local, authMode: none }\nstages:'),
    )
    await writeFile(join(dir, 'errors.yaml'), watchYaml('errors', 'diabetes', errors.replace('duration: 5s', 'duration: 3m')))
    await writeFile(join(dir, 'errors-5xx.yaml'), watchYaml('errors-5xx', 'diabetes', errors.replace('count_4xx: true', 'count_4xx: false')))
    const shadow = 'max_shadow_disagreement: 0.2, min_requests: 20, duration: 2s, interval: 1s'
    await writeFile(join(dir, 'shadow-quiet.yaml'), watchYaml('shadow-quiet', 'iris', shadow))
    await writeFile(join(dir, 'shadow.yaml'), watchYaml('shadow', 'iris', shadow))
    // Windowed disagreement: a 15 s window, judged once 10 requests are in it.
    const windowed = 'max_shadow_disagreement: 0.2, min_requests: 10, window: 15s, interval: 1s'
    await writeFile(join(dir, 'window-quiet.yaml'), watchYaml('window-quiet', 'iris', `${windowed}, duration: 2s`))
    await writeFile(join(dir, 'window-breach.yaml'), watchYaml('window-breach', 'iris', `${windowed}, duration: 3m`))
    const pipelines = ['errors.yaml', 'errors-5xx.yaml', 'shadow-quiet.yaml', 'shadow.yaml', 'window-quiet.yaml', 'window-breach.yaml']
      .map((f) => join(dir, f))
      .join(',')
    server = await startServer(
      ['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts'), '--pipelines', pipelines],
      { WHARF_PROJECT_FILE: join(dir, 'wharf.yaml') },
    )
    const diabetes = join(root, 'data/diabetes.csv')
    for (const alpha of ['0.01', '0.02']) await train(diabetes, 'progression', 'elasticnet', [`alpha=${alpha}`], 'diabetes')
    // iris v1 and v2 agree (C differs); v3 learned labels rotated (0 → 1 → 2 → 0): it disagrees.
    const iris = join(root, 'data/iris.csv')
    await train(iris, 'species', 'logistic', ['C=1'], 'iris')
    await train(iris, 'species', 'logistic', ['C=0.5'], 'iris')
    const rotated = join(dir, 'iris-rotated.csv')
    const [header, ...lines] = (await readFile(iris, 'utf8')).trim().split('\n')
    await writeFile(rotated, [header, ...lines.map((l) => l.replace(/(\d)$/, (d) => String((Number(d) + 1) % 3)))].join('\n'))
    await train(rotated, 'species', 'logistic', ['C=1'], 'iris')
    // v4 never learned class 2 (relabelled 1): it agrees with v1 on classes 0 and 1 and disagrees on 2.
    const merged = join(dir, 'iris-merged.csv')
    await writeFile(merged, [header, ...lines.map((l) => l.replace(/2$/, '1'))].join('\n'))
    await train(merged, 'species', 'logistic', ['C=1'], 'iris')
  })

  after(async () => {
    for (const model of ['diabetes', 'iris']) {
      for (const i of (await endpoint(model).catch(() => undefined))?.instances ?? []) if (i.pid) pids.add(i.pid)
      await deployApi(server.url, 'POST', 'undeploy', { model_name: model, environment: 'production' }).catch(() => {})
    }
    await server.stop()
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  })

  it('passes under max_error_rate, counts 4xx only when asked, and rolls back when refused requests pass it', async (t) => {
    const { columns, rows } = await csv('diabetes.csv', 'progression')
    await deploy('diabetes', '1')
    const live = await deploy('diabetes', '2')

    // One request in 20 refused: under the 0.2 limit.
    const light = sendTraffic(live.url, columns, rows, 20)
    const quiet = runPipelineProcess(dir, server.url, 'wharf.yaml')
    const quietCode = await quiet.exited
    await light.stop()
    assert.equal(quietCode, 0, quiet.output())
    diagnose(t, quiet.output())
    assert.match(quiet.output(), /last check: error rate 0\.\d+ \(\d+ of \d+ requests answered 4xx\/5xx\)/)
    const quietRate = Number(/last check: error rate (\S+)/.exec(quiet.output())![1])
    assert.ok(quietRate <= 0.1, quiet.output())
    assert.ok((light.statuses.get(400) ?? 0) > 0 && (light.statuses.get(200) ?? 0) > 0, JSON.stringify([...light.statuses]))

    // One request in 2 refused: the default counts 5xx only, so a watch without count_4xx passes...
    const heavy = sendTraffic(live.url, columns, rows, 2)
    try {
      const only5xx = runPipelineProcess(dir, server.url, 'errors-5xx.yaml')
      assert.equal(await only5xx.exited, 0, only5xx.output())
      diagnose(t, only5xx.output())
      assert.match(only5xx.output(), /last check: error rate 0\.000 \(0 of \d+ requests answered 5xx\)/)
      // ...and one that counts 4xx rolls production back to v1 and fails.
      const run = runPipelineProcess(dir, server.url, 'errors.yaml')
      const code = await run.exited
      assert.notEqual(code, 0, run.output())
      diagnose(t, run.output())
      assert.match(run.output(), /breach: error rate 0\.\d+ > 0\.2 \(\d+ of \d+ requests answered 4xx\/5xx\)/)
      assert.match(run.output(), /rolled production back from v2 to v1/)
    } finally {
      await heavy.stop()
    }
    assert.equal((await endpoint('diabetes')).live_version, '1')
    const history = (await deployApi(server.url, 'GET', 'history', { environment: 'production', model_name: 'diabetes' })).body.changes
    assert.deepEqual(
      history.map((c: any) => [c.action, c.from_version, c.to_version]),
      [
        ['deploy', null, '1'],
        ['deploy', '1', '2'],
        ['rollback', '2', '1'],
      ],
    )
  })

  it('passes while a shadow agrees, and fails without touching live traffic when a shadow disagrees past max_shadow_disagreement', async (t) => {
    const { columns, rows } = await csv('iris.csv', 'species')
    const live = await deploy('iris', '1')
    const shadowed = async (shadowVersion: string) => {
      await deploy('iris', shadowVersion, { shadow_percent: 100 })
      for (let i = 0; i < rows.length; i += 5) {
        const res = await fetch(`${live.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ dataframe_split: { columns, data: rows.slice(i, i + 5) } }),
        })
        assert.equal(res.status, 200)
      }
      // The router compares answers after replying: wait until all 30 requests are compared.
      return waitFor(`30 requests shadowed to v${shadowVersion}`, async () => {
        const { reports } = (await deployApi(server.url, 'GET', 'agreement', { environment: 'production', model_name: 'iris' })).body
        const report = reports.find((r: any) => r.shadow_version === shadowVersion)
        return report?.shadowed_requests === 30 && report
      })
    }

    const agreeing = await shadowed('2')
    assert.ok(agreeing.label_agreement >= 0.9, JSON.stringify(agreeing))
    const quiet = runPipelineProcess(dir, server.url, 'shadow-quiet.yaml')
    assert.equal(await quiet.exited, 0, quiet.output())
    diagnose(t, quiet.output())
    assert.match(quiet.output(), /last check: shadow v2 disagrees with v1 on 0\.\d+ of 150 rows/)

    const disagreeing = await shadowed('3')
    assert.ok(disagreeing.label_agreement < 0.5, JSON.stringify(disagreeing))
    const run = runPipelineProcess(dir, server.url, 'shadow.yaml')
    assert.notEqual(await run.exited, 0, run.output())
    diagnose(t, run.output())
    assert.match(run.output(), /breach: shadow v3 disagrees with v1 on [01]\.\d+ of 150 rows in the last 300 s > 0\.2/)
    assert.match(run.output(), /live traffic unchanged: only the shadow breached/)
    assert.doesNotMatch(run.output(), /rolled/)
    const after = await endpoint('iris')
    assert.equal(after.live_version, '1')
    assert.deepEqual(after.traffic.shadow, { version: '3', percent: 100 })
  })

  it('judges shadow disagreement over its window: high before the window and low inside passes, low before and high inside breaches', async (t) => {
    const { columns, rows, labels } = await csv('iris.csv', 'species')
    const live = await endpoint('iris')
    assert.equal(live.live_version, '1')
    await deploy('iris', '4', { shadow_percent: 100 })
    const agreeing = rows.filter((_, i) => labels[i] !== 2)
    const disagreeing = rows.filter((_, i) => labels[i] === 2)
    let shadowed = 0
    /** Sends `count` requests of 5 rows from `pool` and waits until the router compared them all. */
    const send = async (pool: number[][], count: number) => {
      for (let i = 0; i < count; i++) {
        const data = Array.from({ length: 5 }, (_, n) => pool[(i * 5 + n) % pool.length]!)
        const res = await fetch(`${live.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ dataframe_split: { columns, data } }),
        })
        assert.equal(res.status, 200)
      }
      shadowed += count
      await waitFor(`${shadowed} requests shadowed to v4`, async () => (await report())?.shadowed_requests === shadowed)
    }
    const report = async (windowSeconds?: number) => {
      const query = { environment: 'production', model_name: 'iris', ...(windowSeconds ? { window_seconds: windowSeconds } : {}) }
      const { reports } = (await deployApi(server.url, 'GET', 'agreement', query)).body
      return reports.find((r: any) => r.shadow_version === '4' && r.live_version === '1')
    }
    for (const window_seconds of [0, -5, 86_401, 'soon']) {
      const refused = await deployApi(server.url, 'GET', 'agreement', { environment: 'production', model_name: 'iris', window_seconds })
      assertErrorAnswer(refused, 400, 'INVALID_PARAMETER_VALUE', `window_seconds ${window_seconds}`)
    }
    /** Until the 15 s window has no request of v4 left in it. */
    const windowEmpties = () => waitFor('the 15 s window to pass', async () => (await report(15))?.shadowed_requests === 0, 30_000, 500)

    // High earlier, low inside the window: since the shadow was deployed it disagrees on half the rows; the gate passes.
    await send(disagreeing, 20)
    await windowEmpties()
    await send(agreeing, 20)
    const sinceDeployed = await report()
    assert.ok(1 - sinceDeployed.label_agreement > 0.4, JSON.stringify(sinceDeployed))
    assert.ok(1 - (await report(15)).label_agreement <= 0.2, JSON.stringify(await report(15)))
    const quiet = runPipelineProcess(dir, server.url, 'window-quiet.yaml')
    assert.equal(await quiet.exited, 0, quiet.output())
    diagnose(t, quiet.output())
    assert.match(quiet.output(), /last check: shadow v4 disagrees with v1 on 0\.\d+ of 100 rows in the last 15 s/)

    // Low earlier, high inside the window: since deployed it disagrees on under 0.2 of the rows; the gate breaches.
    await send(agreeing, 300)
    await windowEmpties()
    await send(disagreeing, 20)
    const overall = await report()
    assert.ok(1 - overall.label_agreement < 0.2, JSON.stringify(overall))
    const run = runPipelineProcess(dir, server.url, 'window-breach.yaml')
    assert.notEqual(await run.exited, 0, run.output())
    diagnose(t, run.output())
    assert.match(run.output(), /breach: shadow v4 disagrees with v1 on [01]\.\d+ of 100 rows in the last 15 s > 0\.2/)
    assert.equal((await endpoint('iris')).live_version, '1')
  })
})
