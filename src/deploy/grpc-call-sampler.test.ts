import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { inferenceServiceDefinition } from '../serving/grpc/grpc-server.js'
import type { RunningServing } from '../serving/serve-model.js'
import { diabetesRows, serveDir, trainDiabetes } from '../serving/test-fixtures.js'
import { GrpcPassThrough } from './grpc-pass-through.js'
import type { CapturedPrediction, PredictionTap } from './prediction-tap.js'

type Plain = Record<string, any>
const Client = grpc.makeGenericClientConstructor(inferenceServiceDefinition(), 'GRPCInferenceService')
const key = 'sampler-test-key-0123456789'

function call(client: grpc.Client, rpc: string, request: Plain, metadata: grpc.Metadata): Promise<Plain> {
  return new Promise((resolve, reject) => {
    ;(client as unknown as Record<string, (r: Plain, m: grpc.Metadata, cb: (err: grpc.ServiceError | null, v: Plain) => void) => void>)[rpc]!(
      request,
      metadata,
      (err, value) => (err ? reject(err) : resolve(value)),
    )
  })
}

function metadata(entries: Record<string, string>): grpc.Metadata {
  const m = new grpc.Metadata()
  for (const [k, v] of Object.entries(entries)) m.set(k, v)
  return m
}

/** A tap that keeps every capture; `take` decides each draw. */
function recordingTap(take: () => boolean): PredictionTap & { readonly captured: CapturedPrediction[]; draws: number } {
  const captured: CapturedPrediction[] = []
  return {
    captured,
    draws: 0,
    shouldCapture() {
      this.draws++
      return take()
    },
    capture: (p) => captured.push(p),
  }
}

const infer = (id: string, rows: number[][]) => ({
  modelName: 'diabetes',
  id,
  inputs: [{ name: 'x', datatype: 'FP64', shape: [rows.length, 10], contents: { fp64Contents: rows.flat() } }],
})

describe('gRPC call sampling beside the pipe', () => {
  let serving: RunningServing
  const rows = diabetesRows(40)

  before(async () => {
    serving = await serveDir(await trainDiabetes(), { modelName: 'diabetes', grpcPort: 0, apiKeys: [key] })
  })
  after(async () => {
    await serving.close(100)
  })

  /** A pass-through with `tap` in front of the serving process, and a client connected through it. */
  async function through(tap: PredictionTap): Promise<{ client: grpc.Client; close: () => Promise<void> }> {
    const passThrough = new GrpcPassThrough({ host: '127.0.0.1', port: 0, tap })
    const port = await passThrough.listen()
    passThrough.setTarget(Number(serving.grpcAddress!.split(':')[1]))
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
    return {
      client,
      close: async () => {
        client.close()
        await passThrough.close()
      },
    }
  }

  it('takes every sampled ModelInfer call whole, concurrent calls and long headers included, and changes no answer', async () => {
    const tap = recordingTap(() => true)
    const { client, close } = await through(tap)
    const direct = new Client(serving.grpcAddress!, grpc.credentials.createInsecure())
    try {
      const auth = { authorization: `Bearer ${key}` }
      // Concurrent calls interleave their frames on the one connection; each carries metadata that
      // differs (HPACK's dynamic table fills and evicts), one a 20 kB value that HTTP/2 splits into
      // CONTINUATION frames.
      const calls = rows.map((row, i) => {
        const extra: Record<string, string> = i === 7 ? { 'x-long': 'v'.repeat(20_000) } : { 'x-trace': `trace-${i}-${'t'.repeat(i * 40)}` }
        const requestId: Record<string, string> = i % 3 === 0 ? { 'x-request-id': `client-${i}` } : {}
        return call(client, 'ModelInfer', infer(`call-${i}`, [row]), metadata({ ...auth, ...extra, ...requestId }))
      })
      const answers = await Promise.all(calls)
      const expected = await Promise.all(rows.map((row, i) => call(direct, 'ModelInfer', infer(`call-${i}`, [row]), metadata(auth))))
      assert.deepEqual(answers, expected, 'the answers through the sampled pipe are the direct ones')
      // Not sampled, not taken: other RPCs, and a refused ModelInfer (no answer to decode).
      await call(client, 'ModelMetadata', { name: 'diabetes' }, metadata(auth))
      await assert.rejects(call(client, 'ModelInfer', infer('refused', [rows[0]!]), metadata({ authorization: 'Bearer wrong-key-000000000' })))
      const batch = await call(client, 'ModelInfer', infer('batch', rows), metadata(auth))
      await setImmediateTurns()

      const byId = new Map(tap.captured.map((c) => [JSON.parse(c.request.toString()).id as string, c]))
      assert.deepEqual([...byId.keys()].sort(), [...rows.map((_, i) => `call-${i}`), 'batch'].sort())
      assert.equal(tap.captured.length, rows.length + 1, 'each call taken once')
      for (const [i, row] of rows.entries()) {
        const c = byId.get(`call-${i}`)!
        assert.equal(c.path, '/inference.GRPCInferenceService/ModelInfer')
        assert.equal(c.status, 200)
        assert.equal(c.requestId, i % 3 === 0 ? `client-${i}` : `call-${i}`)
        assert.deepEqual(JSON.parse(c.request.toString()).inputs[0].data, row)
        const predicted = JSON.parse(c.response.toString()).outputs[0].data
        assert.deepEqual(predicted, rawPredictions(expected[i]!))
      }
      assert.deepEqual(JSON.parse(byId.get('batch')!.response.toString()).outputs[0].data, rawPredictions(batch))
    } finally {
      direct.close()
      await close()
    }
  })

  it('takes nothing the tap does not draw, and draws once per ModelInfer call', async () => {
    const tap = recordingTap(() => false)
    const { client, close } = await through(tap)
    try {
      const auth = metadata({ authorization: `Bearer ${key}` })
      for (const [i, row] of rows.slice(0, 5).entries()) await call(client, 'ModelInfer', infer(`n-${i}`, [row]), auth)
      await call(client, 'ModelMetadata', { name: 'diabetes' }, auth)
      await setImmediateTurns()
      assert.equal(tap.draws, 5)
      assert.deepEqual(tap.captured, [])
    } finally {
      await close()
    }
  })

  it('keeps piping a connection whose bytes are not HTTP/2, only no longer sampling it', async () => {
    const echo = createServer((socket) => socket.pipe(socket))
    echo.listen(0, '127.0.0.1')
    await once(echo, 'listening')
    const tap = recordingTap(() => true)
    const passThrough = new GrpcPassThrough({ host: '127.0.0.1', port: 0, tap })
    passThrough.setTarget((echo.address() as { port: number }).port)
    const socket = connect(await passThrough.listen(), '127.0.0.1')
    try {
      // A preface, then a "frame" that claims to continue a header block that never started.
      const garbage = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 1, 9, 0, 0, 0, 0, 1, 0xff])])
      const text = Buffer.from('still piped')
      socket.write(Buffer.concat([garbage, text]))
      let received = Buffer.alloc(0)
      while (received.length < garbage.length + text.length) received = Buffer.concat([received, (await once(socket, 'data'))[0] as Buffer])
      assert.deepEqual(received, Buffer.concat([garbage, text]))
      assert.deepEqual(tap.captured, [])
    } finally {
      socket.destroy()
      await passThrough.close()
      echo.close()
    }
  })
})

/** The predictions of a ModelInfer answer (wharf serve answers raw outputs). */
const rawPredictions = (answer: Plain): number[] => Array.from(new Float64Array(new Uint8Array(answer['rawOutputContents'][0] as Buffer).buffer))

/** Captures are handed over on a later turn of the event loop: let a few pass. */
async function setImmediateTurns(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}
