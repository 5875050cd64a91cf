// The CPU time monitoring spends per sampled request in the server, measured in-process, away
// from the network and other jobs' load: N captured requests (a single diabetes row and its
// answer, as the router hands them over) go through MonitorService with prediction logging to a
// local artifact store, then with logging and drift; the CPU time (process.cpuUsage) until the
// last batch is written, divided by N. Prints one JSON line per configuration.
// Usage: node bench/monitoring/ingest-cost.mjs [N]   (after npm run build)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { MonitorService, PredictionLog } from '../../dist/monitor/index.js'
import { FsArtifactStore } from '../../dist/store/fs/artifact-store.js'
import { profileTable, readCsvFile } from '../../dist/train/index.js'

const n = Number(process.argv[2] ?? 50_000)
const table = await readCsvFile('data/diabetes.csv')
const features = { ...table, columns: table.columns.filter((c) => c.name !== 'progression') }
const columns = features.columns.map((c) => c.name)
const row = features.columns.map((c) => c.values[0])
const request = Buffer.from(JSON.stringify({ dataframe_split: { columns, data: [row] } }))
const response = Buffer.from(JSON.stringify({ predictions: [151.2] }))

const configs = {
  log: { logPredictions: { sampleRate: 1, retentionDays: 1 } },
  logdrift: {
    logPredictions: { sampleRate: 1, retentionDays: 1 },
    drift: { sampleRate: 1, windowRows: 1000, psiThreshold: 0.25, ksThreshold: 0.3, minRows: 100 },
  },
}
for (const [name, monitoring] of Object.entries(configs)) {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-ingest-cost-'))
  const artifacts = new FsArtifactStore(dir)
  await artifacts.put('m/data_profile.json', Readable.from([Buffer.from(JSON.stringify(profileTable(features)))]))
  const registry = { getModelVersion: async () => ({ storageLocation: 'mlflow-artifacts:/m' }) }
  const environments = new Map([[name, { name, target: 'local', authMode: 'none', monitoring }]])
  const monitor = new MonitorService({ environments, registry, artifacts, predictionLog: new PredictionLog(artifacts) })
  const tap = monitor.tapFor(name, 'diabetes')
  // One untimed request first: the profile is read once per version.
  tap.capture({ time: Date.now(), requestId: 'warm', version: '1', path: '/invocations', status: 200, request, response })
  await new Promise((resolve) => setTimeout(resolve, 50))
  const before = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    tap.capture({ time: Date.now(), requestId: `r${i}`, version: '1', path: '/invocations', status: 200, request, response })
    // Hand over in slices, as requests arrive: the captures run on the following turns of the loop.
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve))
  }
  await new Promise((resolve) => setImmediate(resolve))
  await monitor.close()
  const used = process.cpuUsage(before)
  // The work was done: every request is in the window (with drift) and in the log.
  const rowsSeen = monitoring.drift ? (await monitor.drift(name, 'diabetes', '1')).window.rowsSeen : undefined
  if (rowsSeen !== undefined && rowsSeen !== n + 1) throw new Error(`drift window saw ${rowsSeen} rows, expected ${n + 1}`)
  rmSync(dir, { recursive: true, force: true })
  process.stdout.write(`${JSON.stringify({ config: name, sampled_requests: n, cpu_us_per_sampled_request: (used.user + used.system) / n })}\n`)
}
