// One timed Wharf training round: node bench/training/wharf.mjs MODEL DATA_DIR [PRED_OUT]
// (MODEL_SEED in the environment: the trainer's seed, default 0)
// Loads the benchmark data (raw float64, column-major; not timed), trains MODEL from models.json
// with the library's trainModel (the same call `wharf train` makes, preprocessing included) and
// prints JSON: wall and CPU seconds of that call, iterations, and (when PRED_OUT is given) writes the
// test-set predictions — regression values or P(class 1) — as float64 for reference.py to score.
import { openSync, readSync, closeSync, readFileSync, writeFileSync, fstatSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'

const here = dirname(fileURLToPath(import.meta.url))
const dist = process.env.WHARF_DIST ?? join(here, '..', '..', 'dist')
const { trainModel } = await import(join(dist, 'train', 'index.js'))
const { NativeEvaluator } = await import(join(dist, 'models', 'index.js'))

const [model, dataDir, predOut] = process.argv.slice(2)
const config = JSON.parse(readFileSync(join(here, 'models.json'), 'utf8'))[model]
if (!config) throw new Error(`unknown model '${model}'`)
const problem = join(dataDir, config.problem)
const meta = JSON.parse(readFileSync(join(problem, 'meta.json'), 'utf8'))

function readF64(path) {
  const fd = openSync(path, 'r')
  const bytes = fstatSync(fd).size
  const out = new Float64Array(bytes / 8)
  const view = new Uint8Array(out.buffer)
  for (let off = 0; off < bytes; ) off += readSync(fd, view, off, Math.min(1 << 30, bytes - off), off)
  closeSync(fd)
  return out
}

function table(part, rows) {
  const X = readF64(join(problem, `X_${part}.f64`))
  const columns = []
  for (let j = 0; j < meta.features; j++) columns.push({ name: `x${j + 1}`, kind: 'numeric', values: X.subarray(j * rows, (j + 1) * rows) })
  columns.push({ name: 'y', kind: 'numeric', values: readF64(join(problem, `y_${part}.f64`)) })
  return { columns, rowCount: rows }
}

const train = table('train', meta.train_rows)
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const trained = trainModel(train, 'y', { algorithm: config.wharf.algorithm, params: config.wharf.params, seed: Number(process.env.MODEL_SEED ?? 0) })
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)

if (predOut) {
  const test = table('test', meta.test_rows)
  const evaluator = new NativeEvaluator(trained.spec)
  const cols = trained.spec.columns.map((c) => test.columns.find((t) => t.name === c.name).values)
  const out = new Float64Array(meta.test_rows * evaluator.width)
  evaluator.evaluate(cols, meta.test_rows, out)
  const pred = evaluator.width === 1 ? out : Float64Array.from({ length: meta.test_rows }, (_, i) => out[i * evaluator.width + 1])
  writeFileSync(predOut, new Uint8Array(pred.buffer, pred.byteOffset, pred.byteLength))
}
process.stdout.write(`${JSON.stringify({ engine: 'wharf', model, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, iterations: trained.iterations })}\n`)
