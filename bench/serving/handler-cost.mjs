// Each HTTP protocol's own cost per request, in process: its route handler (read the body, validate,
// predict, write the reply) called directly, without sockets, on the bodies bench/serving/v2.sh made.
// What it isolates is what differs between the protocols; HTTP's share is the same for all of them.
// Usage: node bench/serving/handler-cost.mjs MODEL_DIR BODIES_DIR  -> one JSON line {protocol: ns per request}
// (the best of 7 rounds, the protocols interleaved within each round).
import { readFileSync } from 'node:fs'
import { Predictor } from '../../dist/serving/predictor.js'
import { ModelSlot } from '../../dist/serving/model-slot.js'
import { kserveRoutes } from '../../dist/serving/kserve-protocol.js'
import { mlflowRoutes } from '../../dist/serving/mlflow-protocol.js'
import { azuremlRoutes } from '../../dist/serving/azureml-protocol.js'

const [modelDir, bodies] = process.argv.slice(2)
const predictor = await Predictor.load(modelDir)
await predictor.warmUp()
const slot = new ModelSlot('diabetes')
const entry = slot.swap(predictor, undefined, modelDir)
const routes = [...mlflowRoutes(), ...kserveRoutes('diabetes'), ...azuremlRoutes()]
const route = (path) => routes.find((r) => r.path === path && r.method === 'POST')
const json = { 'content-type': 'application/json' }
const binaryHeaders = { 'content-type': 'application/octet-stream', 'inference-header-content-length': readFileSync(`${bodies}/single-v2.bin.len`, 'utf8') }
const cases = {
  '/invocations': [route('/invocations'), 'single-split.json', json],
  'V2 JSON': [route('/v2/models/diabetes/infer'), 'single-v2.json', json],
  'V2 binary': [route('/v2/models/diabetes/infer'), 'single-v2.bin', binaryHeaders],
  V1: [route('/v1/models/diabetes:predict'), 'single-v1.json', json],
  '/score': [route('/score'), 'single-score.json', json],
}
const n = 20000
const best = {}
for (let round = 0; round < 7; round++) {
  for (const [name, [r, file, headers]] of Object.entries(cases)) {
    const body = readFileSync(`${bodies}/${file}`)
    const ctx = { entry, slot, path: r.path, body, contentType: headers['content-type'], headers }
    const started = process.hrtime.bigint()
    for (let i = 0; i < n; i++) {
      const reply = r.handle(ctx)
      if (reply.status !== 200) throw new Error(`${name}: ${reply.status} ${reply.body}`)
    }
    best[name] = Math.min(best[name] ?? Infinity, Number(process.hrtime.bigint() - started) / n)
  }
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v)]))))
