// The tracking benchmark's "limit" reference: answers every MLflow call the workload makes with a
// canned, valid response computed once at start, doing no storage work at all. Whatever time the
// workload spends against it is the MLflow Python client's own cost plus HTTP on loopback, so it
// bounds the ratio any server can show through that client.
// Usage: node client-floor-server.mjs PORT
import { createServer } from 'node:http'

const port = Number(process.argv[2] ?? 5903)
const now = Date.now()
const runInfo = (id) => ({
  run_id: id,
  run_uuid: id,
  run_name: 'floor',
  experiment_id: '1',
  user_id: 'u',
  status: 'RUNNING',
  start_time: now,
  artifact_uri: `mlflow-artifacts:/1/${id}/artifacts`,
  lifecycle_stage: 'active',
})
const run = (id, metrics = []) => ({ info: runInfo(id), data: metrics.length ? { metrics } : {}, inputs: {} })
const hex = (i) => i.toString(16).padStart(32, '0')

const history = JSON.stringify({ metrics: Array.from({ length: 100_000 }, (_, i) => ({ key: 'd', value: i % 1000, timestamp: now, step: i })) })
const searchPage = JSON.stringify({
  runs: Array.from({ length: 100 }, (_, i) =>
    run(hex(i), [
      { key: 'rmse', value: i / 1000, timestamp: now, step: 0 },
      { key: 'mae', value: 1 - i / 100, timestamp: now, step: 0 },
    ]),
  ),
})
let nextId = 1
const answers = {
  '/api/2.0/mlflow/experiments/create': () => JSON.stringify({ experiment_id: String(nextId++) }),
  '/api/2.0/mlflow/runs/create': () => JSON.stringify({ run: run(hex(nextId++)) }),
  '/api/2.0/mlflow/runs/search': () => searchPage,
  '/api/2.0/mlflow/metrics/get-history': () => history,
}

createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0]
    const body = path === '/health' ? 'OK' : (answers[path]?.() ?? '{}')
    res.writeHead(200, { 'content-type': path === '/health' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
}).listen(port, '127.0.0.1')
