import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { parse as parseYaml } from 'yaml'
import { wharfBin } from '../app-paths.js'
import { deployApi } from '../deploy/fixtures/registry-fixture.js'
import { type RunningServer, startServer } from '../integration/server-process.js'
import { notebookPython } from '../pipeline/fixtures/notebook-venv.js'
import { isValidSignature } from '../registry/index.js'
import { isAlive, tempDir, waitFor } from '../testing/fixtures.js'
import { runTrain } from '../train/index.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const dataFile = join(root, 'data/diabetes.csv')
const alertSecret = `alert-secret-${Math.random().toString(36).slice(2)}`

interface Sent {
  readonly requestId: string
  readonly rows: Record<string, number>[]
  readonly predictions: unknown[]
}

async function diabetesRows(): Promise<{ columns: string[]; rows: number[][] }> {
  const [header, ...lines] = (await readFile(dataFile, 'utf8')).trim().split('\n')
  const all = header!.split(',')
  const features = all.filter((c) => c !== 'progression')
  const rows = lines.map((l) => l.split(',').map(Number)).map((r) => features.map((c) => r[all.indexOf(c)]!))
  return { columns: features, rows }
}

/**
 * Issue #18 end to end against a real `wharf server`, real `wharf serve` processes and the real
 * diabetes model trained by `wharf train`: in-distribution rows leave drift low; rows with `bmi`
 * shifted by two standard deviations push that feature's PSI past 0.25 while the others stay low;
 * the gauge, the API, `wharf monitor` and a signed webhook all show it; the prediction log holds
 * every request, readable with pandas.
 */
describe('monitoring a deployed diabetes model', () => {
  let dir: string
  let server: RunningServer
  let endpointUrl: string
  let endpointKey: string
  let receiver: Server
  const alerts: { headers: IncomingHttpHeaders; body: string }[] = []
  const pids = new Set<number>()
  const sent: Sent[] = []
  let columns: string[]
  let rows: number[][]

  const drift = async () => {
    const res = await fetch(`${server.url}/api/2.0/wharf/monitoring/drift?environment=staging&model_name=diabetes`)
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`)
    return (await res.json()) as any
  }

  /** Sends `data` in requests of ten rows, remembering what each request sent and got. */
  const score = async (data: number[][]) => {
    for (let i = 0; i < data.length; i += 10) {
      const chunk = data.slice(i, i + 10)
      const res = await fetch(`${endpointUrl}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${endpointKey}` },
        body: JSON.stringify({ dataframe_split: { columns, data: chunk } }),
      })
      assert.equal(res.status, 200)
      const answer = (await res.json()) as { predictions: unknown[] }
      sent.push({
        requestId: res.headers.get('x-request-id')!,
        rows: chunk.map((r) => Object.fromEntries(columns.map((c, n) => [c, r[n]!]))),
        predictions: answer.predictions,
      })
    }
  }

  before(async () => {
    ;({ columns, rows } = await diabetesRows())
    dir = await tempDir('monitor')
    receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        alerts.push({ headers: req.headers, body })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/drift`
    await writeFile(
      join(dir, 'wharf.yaml'),
      [
        'environments:',
        '  staging:',
        '    target: local',
        '    monitoring:',
        '      logPredictions: { sampleRate: 1, retentionDays: 7 }',
        '      drift: { windowRows: 300, minRows: 100 }',
        `      alerts: { webhooks: [{ url: "${hook}", secretEnv: WHARF_TEST_ALERT_SECRET }] }`,
        '',
      ].join('\n'),
    )
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
      WHARF_TEST_ALERT_SECRET: alertSecret,
    })
    await runTrain({
      data: dataFile,
      target: 'progression',
      model: 'elasticnet',
      param: ['alpha=0.01'],
      experiment: 'monitor',
      register: 'diabetes',
      trackingUri: server.url,
      log: () => {},
    })
    const deployed = await deployApi(server.url, 'POST', 'deploy', { model_name: 'diabetes', version: '1', environment: 'staging' })
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body))
    for (const i of deployed.body.endpoint.instances ?? []) if (i.pid) pids.add(i.pid)
    endpointUrl = deployed.body.endpoint.url
    // The environment requires keys (the default): the server's /metrics then scrapes the instances
    // with its own metrics-only key, which the endpoint-metrics test below depends on.
    const keys = await deployApi(server.url, 'GET', 'keys', { environment: 'staging', model_name: 'diabetes' })
    assert.equal(keys.status, 200, JSON.stringify(keys.body))
    endpointKey = keys.body.primary_key
  })

  after(async () => {
    await deployApi(server.url, 'POST', 'undeploy', { model_name: 'diabetes', environment: 'staging' }).catch(() => {})
    await server.stop()
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await new Promise((resolve) => receiver.close(resolve))
  })

  it('keeps every feature PSI low for rows from the training distribution', async () => {
    await score(rows.slice(0, 300))
    const report = await waitFor('300 rows in the drift window', async () => {
      const r = await drift()
      return r.window.rows_seen === 300 && r
    })
    assert.equal(report.version, '1')
    assert.deepEqual(
      report.features.map((f: any) => f.name),
      columns,
    )
    for (const f of report.features) {
      assert.equal(f.rows, 300)
      assert.ok(f.psi < 0.1, `${f.name}: PSI ${f.psi}`)
      assert.ok(f.ks < 0.15, `${f.name}: KS ${f.ks}`)
    }
    assert.deepEqual(report.breaches, [])
    assert.equal(report.prediction.baseline_rows, 300)
    assert.ok(report.prediction.psi < 0.01, `the window is the baseline: ${report.prediction.psi}`)
  })

  it('shows a two-standard-deviation shift in bmi in the PSI, the gauge, wharf monitor and a signed webhook', async (t) => {
    const bmi = columns.indexOf('bmi')
    const values = rows.map((r) => r[bmi]!)
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
    await score(rows.slice(100, 400).map((r) => r.map((v, n) => (n === bmi ? v + 2 * std : v))))
    const report = await waitFor('600 rows seen', async () => {
      const r = await drift()
      return r.window.rows_seen === 600 && r
    })
    const byName = new Map<string, any>(report.features.map((f: any) => [f.name, f]))
    assert.ok(byName.get('bmi').psi > 0.25, `bmi PSI ${byName.get('bmi').psi}`)
    assert.ok(byName.get('bmi').ks > 0.3, `bmi KS ${byName.get('bmi').ks}`)
    for (const [name, f] of byName) if (name !== 'bmi') assert.ok(f.psi < 0.25 && f.ks < 0.3, `${name} stays low: ${JSON.stringify(f)}`)
    assert.ok(report.breaches.some((b: any) => b.kind === 'feature_psi' && b.feature === 'bmi'))
    assert.ok(
      report.breaches.every((b: any) => b.feature === 'bmi' || b.kind === 'prediction_psi'),
      JSON.stringify(report.breaches),
    )

    // The control plane's Prometheus endpoint.
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    const gauge = (name: string, feature: string) =>
      Number(new RegExp(`^${name}\\{model="diabetes",version="1",environment="staging",feature="${feature}"\\} (\\S+)$`, 'm').exec(metrics)?.[1])
    assert.ok(gauge('wharf_feature_drift_psi', 'bmi') > 0.25, metrics)
    assert.ok(gauge('wharf_feature_drift_psi', 'age') < 0.25, metrics)
    assert.ok(gauge('wharf_feature_drift_ks', 'bmi') > 0.3, metrics)
    assert.match(metrics, /^wharf_prediction_drift_psi\{model="diabetes",version="1",environment="staging"\} \S+$/m)

    // The command line, as JSON and as a table.
    const env = { ...process.env, WHARF_TRACKING_URI: server.url }
    const json = JSON.parse((await run(process.execPath, [wharfBin, 'monitor', 'diabetes', '--env', 'staging', '--json'], { env })).stdout)
    assert.deepEqual(Object.keys(json.features[0]).sort(), ['ks', 'name', 'psi', 'rows'])
    assert.ok(json.features.find((f: any) => f.name === 'bmi').psi > 0.25)
    assert.equal(typeof json.prediction.psi, 'number')
    assert.equal(json.window.rows, 300)
    const table = (await run(process.execPath, [wharfBin, 'monitor', 'diabetes', '--env', 'staging'], { env })).stdout
    for (const line of ['$ wharf monitor diabetes --env staging', ...table.trimEnd().split('\n')]) t.diagnostic(line)
    assert.match(table, /^bmi\s+\d+\.\d{3} !\s+\d+\.\d{3} !\s+300$/m)
    assert.match(table, /^age\s+0\.\d{3}\s+0\.\d{3}\s+300$/m)

    // The alert webhook, signed as registry deliveries are.
    const alert = await waitFor('a drift alert', () => alerts.find((a) => JSON.parse(a.body).breaches.some((b: any) => b.feature === 'bmi')), 15_000)
    const timestamp = alert.headers['x-wharf-timestamp'] as string
    assert.ok(
      isValidSignature(alertSecret, { timestamp, method: 'POST', target: '/hooks/drift', body: alert.body }, alert.headers['x-wharf-signature'] as string),
    )
    assert.equal(alert.headers['x-wharf-event'], 'monitor.alert')
    const payload = JSON.parse(alert.body)
    assert.equal(payload.model_name, 'diabetes')
    assert.equal(payload.environment, 'staging')
    assert.equal(payload.version, '1')
    for (const a of alerts)
      assert.ok(
        JSON.parse(a.body).breaches.some((b: any) => b.feature === 'bmi'),
        `no alert before the shift: ${a.body}`,
      )
  })

  it('logs every sampled request with its rows and predictions as gzipped JSON Lines that pandas reads', async () => {
    const folder = join(dir, 'artifacts/monitoring/predictions/staging/diabetes')
    const readAll = async () => {
      const records: any[] = []
      for (const partition of await readdir(folder)) {
        assert.match(partition, /^date=\d{4}-\d{2}-\d{2}$/)
        for (const file of await readdir(join(folder, partition))) {
          assert.match(file, /\.jsonl\.gz$/)
          const text = gunzipSync(await readFile(join(folder, partition, file))).toString('utf8')
          for (const line of text.trim().split('\n')) records.push(JSON.parse(line))
        }
      }
      return records
    }
    // The log is written every 5 s: a generous bound for a loaded machine.
    const records = await waitFor(
      'every request in the log',
      async () => {
        const r = await readAll()
        return r.length === sent.length && r
      },
      30_000,
    )
    const byId = new Map(records.map((r) => [r.request_id, r]))
    for (const s of sent) {
      const r = byId.get(s.requestId)
      assert.ok(r, `request ${s.requestId} is logged`)
      assert.deepEqual(r.inputs, s.rows)
      assert.deepEqual(r.outputs, s.predictions)
      assert.equal(r.model, 'diabetes')
      assert.equal(r.version, '1')
      assert.equal(r.environment, 'staging')
      assert.equal(r.status, 200)
      assert.ok(!Number.isNaN(Date.parse(r.time)))
    }

    const python = await notebookPython()
    const script = [
      'import glob, json, sys',
      'import pandas as pd',
      "files = sorted(glob.glob(sys.argv[1] + '/date=*/*.jsonl.gz'))",
      "df = pd.concat([pd.read_json(f, lines=True, compression='gzip', dtype=False, precise_float=True) for f in files], ignore_index=True)",
      "print(json.dumps([{'request_id': r.request_id, 'model': r.model, 'version': str(r.version), 'bmi': [row['bmi'] for row in r.inputs], 'outputs': r.outputs} for r in df.itertuples()]))",
    ].join('\n')
    const { stdout } = await run(python, ['-c', script, folder])
    const read = JSON.parse(stdout) as { request_id: string; model: string; version: string; bmi: number[]; outputs: unknown[] }[]
    assert.equal(read.length, sent.length)
    const pandasById = new Map(read.map((r) => [r.request_id, r]))
    for (const s of sent) {
      const r = pandasById.get(s.requestId)!
      assert.equal(r.model, 'diabetes')
      assert.equal(r.version, '1')
      assert.deepEqual(
        r.bmi,
        s.rows.map((row) => row.bmi),
      )
      assert.deepEqual(r.outputs, s.predictions)
    }
  })

  it('sums the endpoint traffic of its instances on /metrics, under every name the dashboard and alert rules use', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    const labels = 'model="diabetes",environment="staging",version="1"'
    const sample = (name: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(metrics)?.[1])
    assert.equal(sample('wharf_endpoint_requests_total'), sent.length, metrics)
    assert.equal(sample('wharf_endpoint_errors_total'), 0)
    assert.equal(sample('wharf_endpoint_client_errors_total'), 0)
    assert.equal(sample('wharf_endpoint_request_duration_seconds_count'), sent.length)
    assert.match(metrics, new RegExp(`^wharf_endpoint_request_duration_seconds_bucket\\{${labels},le="\\+Inf"\\} ${sent.length}$`, 'm'))
    assert.match(metrics, /^wharf_endpoint_scrape_errors 0$/m)

    const exported = new Set([...metrics.matchAll(/^(\w+)[{ ]/gm)].map((m) => m[1]!))
    const dashboard = JSON.parse(await readFile(join(root, 'deploy/monitoring/grafana-dashboard.json'), 'utf8'))
    const panelExprs: string[] = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr as string))
    const variableExprs: string[] = dashboard.templating.list.flatMap((v: any) => (v.definition ? [v.definition as string] : []))
    const rules = parseYaml(await readFile(join(root, 'deploy/monitoring/alert-rules.yml'), 'utf8'))
    const ruleExprs: string[] = rules.groups.flatMap((g: any) => g.rules.map((r: any) => r.expr as string))
    assert.ok(rules.groups.every((g: any) => g.rules.every((r: any) => r.alert && r.expr && r.labels?.severity && r.annotations?.summary)))
    const prometheus = parseYaml(await readFile(join(root, 'deploy/monitoring/prometheus.yml'), 'utf8'))
    assert.deepEqual(prometheus.rule_files, ['alert-rules.yml'])
    const used = new Set([...panelExprs, ...variableExprs, ...ruleExprs].flatMap((e) => [...e.matchAll(/\bwharf_\w+/g)].map((m) => m[0])))
    assert.ok(used.size >= 8, [...used].join(', '))
    for (const name of used) assert.ok(exported.has(name), `${name} is used by deploy/monitoring/ but not exported`)
    for (const name of [
      'wharf_feature_drift_psi',
      'wharf_feature_drift_ks',
      'wharf_prediction_drift_psi',
      'wharf_endpoint_request_duration_seconds_bucket',
      'wharf_endpoint_client_errors_total',
    ])
      assert.ok(used.has(name), `${name} is shown or alerted on`)
  })
})
