// What reading a gRPC connection's frames beside the pipe costs per call, in process (no sockets):
// the bytes of real ModelInfer calls (a @grpc/grpc-js client, 32 in flight, through a recording TCP
// relay to `wharf serve`'s gRPC port) are replayed into sampleGrpcCalls, which decodes every header
// block and, for the sampled 10 %, keeps the DATA and decodes the call into KServe V2 JSON (the tap
// here only counts: monitoring's own work per sampled request is bench/monitoring/ingest-cost.mjs's).
// Prints one JSON line: CPU µs per call with sampling at 0 % and at 10 %, and how many were taken.
// Usage: node bench/monitoring/grpc-sampler-cost.mjs [CALLS]
import { EventEmitter } from 'node:events'
import { connect, createServer } from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { sampleGrpcCalls } from '../../dist/deploy/grpc-call-sampler.js'
import { inferenceServiceDefinition } from '../../dist/serving/grpc/grpc-server.js'
import { diabetesRows, serveDir, trainDiabetes } from '../../dist/serving/test-fixtures.js'

const calls = Number(process.argv[2] ?? 4000)
const serving = await serveDir(await trainDiabetes(), { modelName: 'diabetes', grpcPort: 0 })
const [host, port] = serving.grpcAddress.split(':')

// A relay that records both directions' chunks in the order they came.
const recorded = []
const relay = createServer((socket) => {
  const upstream = connect(Number(port), host)
  socket.on('data', (c) => recorded.push(['client', Buffer.from(c)]))
  upstream.on('data', (c) => recorded.push(['upstream', Buffer.from(c)]))
  socket.pipe(upstream)
  upstream.pipe(socket)
})
await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve))
const Client = grpc.makeGenericClientConstructor(inferenceServiceDefinition(), 'GRPCInferenceService')
const client = new Client(`127.0.0.1:${relay.address().port}`, grpc.credentials.createInsecure())
const rows = diabetesRows(calls)
let next = 0
const one = () =>
  new Promise((resolve, reject) => {
    const i = next++
    const request = {
      modelName: 'diabetes',
      id: `c${i}`,
      inputs: [{ name: 'x', datatype: 'FP64', shape: [1, 10], contents: { fp64Contents: rows[i % rows.length] } }],
    }
    client.ModelInfer(request, new grpc.Metadata(), (err) => (err ? reject(err) : resolve()))
  })
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < calls) await one()
  }),
)
client.close()
relay.close()
await serving.close(100)

/** Replays the recorded connection into a fresh sampler, chunk by chunk in the order they came. */
function replay(rate, counts) {
  const sides = { client: new EventEmitter(), upstream: new EventEmitter() }
  let draws = 0
  sampleGrpcCalls(sides.client, sides.upstream, {
    shouldCapture: () => rate > 0 && draws++ % Math.round(1 / rate) === 0,
    capture: () => counts.taken++,
  })
  for (const [side, chunk] of recorded) sides[side].emit('data', chunk)
}

const cpu = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}
const flush = () => new Promise((resolve) => setImmediate(resolve))
const result = { calls, chunks: recorded.length }
for (const [label, rate] of [
  ['none', 0],
  ['sample10', 0.1],
]) {
  for (let i = 0; i < 3; i++) replay(rate, { taken: 0 }) // warm-up
  await flush()
  const rounds = 10
  const counts = { taken: 0 }
  const start = cpu()
  for (let i = 0; i < rounds; i++) {
    replay(rate, counts)
    await flush() // the sampled calls are decoded on the next turn
  }
  result[label] = { us_per_call: (cpu() - start) / rounds / calls, taken_per_replay: counts.taken / rounds }
}
console.log(JSON.stringify(result))
