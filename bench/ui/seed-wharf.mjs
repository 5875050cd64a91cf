// Seeds a wharf server with the UI benchmark's data through the REST API (any MLflow client would
// send the same calls). bench/ui/copy_to_mlflow.py then copies the very same rows into an MLflow
// database, so both UIs show identical experiments.
//   node bench/ui/seed-wharf.mjs URL [RUNS] [HISTORY_POINTS] > ids.json
const [base, runsArg = '10000', historyArg = '1000000'] = process.argv.slice(2)
const runCount = Number(runsArg)
const historyPoints = Number(historyArg)
const keyPool = 5000
const keysPerRun = 50
const compareRuns = 200
const compareSteps = 1000

async function post(path, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${base}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const json = await res.json()
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`)
      return json
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
}

async function parallel(count, concurrency, fn) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++)
    }),
  )
}

const t0 = Date.now()
const start = 1_760_000_000_000
const ids = {}

// 1. 10,000 runs, five params, five metrics and three tags each.
ids.runs10k = (await post('experiments/create', { name: 'bench-10k-runs' })).experiment_id
await parallel(runCount, 16, async (i) => {
  const { run } = await post('runs/create', {
    experiment_id: ids.runs10k,
    run_name: `run-${String(i).padStart(5, '0')}`,
    start_time: start + i * 1000,
    user_id: 'bench',
  })
  await post('runs/log-batch', {
    run_id: run.info.run_id,
    params: Array.from({ length: 5 }, (_, j) => ({ key: `p${j}`, value: String((i * 7 + j * 13) % 97) })),
    metrics: Array.from({ length: 5 }, (_, j) => ({ key: `m${j}`, value: Math.sin(i * 0.37 + j), timestamp: start + i * 1000, step: 0 })),
    tags: [
      { key: 'team', value: ['vision', 'speech', 'tabular'][i % 3] },
      { key: 'stage', value: 'bench' },
      { key: 'seed', value: String(i % 10) },
    ],
  })
  await post('runs/update', { run_id: run.info.run_id, status: 'FINISHED', end_time: start + i * 1000 + 60_000 + (i % 600) * 100 })
})
console.error(`10k runs: ${((Date.now() - t0) / 1000).toFixed(0)} s`)

// 2. 10,000 runs over 5,000 metric keys: each run logs 50 of them, every key is in 100 runs.
ids.keys5k = (await post('experiments/create', { name: 'bench-5000-metric-keys' })).experiment_id
await parallel(runCount, 16, async (i) => {
  const { run } = await post('runs/create', {
    experiment_id: ids.keys5k,
    run_name: `wide-${String(i).padStart(5, '0')}`,
    start_time: start + i * 1000,
    user_id: 'bench',
  })
  await post('runs/log-batch', {
    run_id: run.info.run_id,
    params: [
      { key: 'lr', value: String(10 ** -(1 + (i % 4))) },
      { key: 'depth', value: String(2 + (i % 8)) },
    ],
    metrics: Array.from({ length: keysPerRun }, (_, j) => ({
      key: `metric_${String((i * keysPerRun + j) % keyPool).padStart(4, '0')}`,
      value: (((i + 1) * (j + 3)) % 1000) / 1000,
      timestamp: start,
      step: 0,
    })),
  })
})
console.error(`5000 keys: ${((Date.now() - t0) / 1000).toFixed(0)} s`)

// 3. 200 runs with a 1,000-step loss curve each, to compare.
ids.compare = (await post('experiments/create', { name: 'bench-compare-200' })).experiment_id
ids.compareRuns = []
await parallel(compareRuns, 8, async (i) => {
  const { run } = await post('runs/create', {
    experiment_id: ids.compare,
    run_name: `curve-${String(i).padStart(3, '0')}`,
    start_time: start + i * 1000,
    user_id: 'bench',
  })
  ids.compareRuns[i] = run.info.run_id
  const rate = 100 + (i % 50) * 10
  const metrics = Array.from({ length: compareSteps }, (_, step) => ({
    key: 'loss',
    value: (1 + (i % 7) / 7) * Math.exp(-step / rate) + 0.02 * Math.sin(step / 9 + i),
    timestamp: start + step,
    step,
  }))
  await post('runs/log-batch', { run_id: run.info.run_id, metrics })
  await post('runs/log-batch', {
    run_id: run.info.run_id,
    params: [
      { key: 'lr', value: String(rate) },
      { key: 'batch', value: String(16 << (i % 4)) },
    ],
  })
})
console.error(`compare: ${((Date.now() - t0) / 1000).toFixed(0)} s`)

// 4. One run with a 1,000,000-point history.
ids.history = (await post('experiments/create', { name: 'bench-1m-history' })).experiment_id
const { run } = await post('runs/create', { experiment_id: ids.history, run_name: 'long-history', start_time: start, user_id: 'bench' })
ids.historyRun = run.info.run_id
await parallel(Math.ceil(historyPoints / 1000), 4, async (b) => {
  const metrics = []
  for (let step = b * 1000; step < Math.min(historyPoints, (b + 1) * 1000); step++) {
    metrics.push({
      key: 'loss',
      value: Math.exp(-step / 200_000) + 0.05 * Math.sin(step / 50) + (step % 100_003 === 0 ? 0.5 : 0),
      timestamp: start + step,
      step,
    })
  }
  await post('runs/log-batch', { run_id: ids.historyRun, metrics })
})
console.error(`history: ${((Date.now() - t0) / 1000).toFixed(0)} s`)
process.stdout.write(JSON.stringify(ids))
