import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { Predictor } from '../predictor.js'
import type { RunningServing } from '../serve-model.js'
import { diabetesColumns, diabetesRows, serveDir, trainDiabetes } from '../test-fixtures.js'
import { inferenceServiceDefinition } from './grpc-server.js'

type Plain = Record<string, any>
const Client = grpc.makeGenericClientConstructor(inferenceServiceDefinition(), 'GRPCInferenceService')

function call(client: grpc.Client, rpc: string, request: Plain, metadata = new grpc.Metadata()): Promise<Plain> {
  return new Promise((resolve, reject) => {
    ;(client as unknown as Record<string, (r: Plain, m: grpc.Metadata, cb: (err: grpc.ServiceError | null, v: Plain) => void) => void>)[rpc]!(
      request,
      metadata,
      (err, value) => (err ? reject(err) : resolve(value)),
    )
  })
}

async function refused(promise: Promise<unknown>, code: grpc.status, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, err.details)
    if (message) assert.match(err.details, message)
    return true
  })
}

const key = 'grpc-test-key-0123456789'

describe('KServe V2 over gRPC', () => {
  let serving: RunningServing
  let client: grpc.Client
  let expected: number[]
  const rows = diabetesRows(3)

  before(async () => {
    const dir = await trainDiabetes()
    serving = await serveDir(dir, { modelName: 'diabetes', grpcPort: 0, apiKeys: [key] })
    client = new Client(serving.grpcAddress!, grpc.credentials.createInsecure())
    const p = await Predictor.load(dir)
    expected = Array.from((p.predict(p.schema!.fromRows(rows)) as { values: Float64Array }).values)
  })
  after(async () => {
    client.close()
    await serving.close(100)
  })

  const withKey = () => {
    const m = new grpc.Metadata()
    m.set('authorization', `Bearer ${key}`)
    return m
  }
  const matrix = (contents: Plain, datatype = 'FP64') => ({
    modelName: 'diabetes',
    id: 'g1',
    inputs: [{ name: 'x', datatype, shape: [3, 10], ...(contents['raw'] ? {} : { contents }) }],
    ...(contents['raw'] ? { rawInputContents: [contents['raw']] } : {}),
  })

  it('binds loopback and answers liveness and readiness without a key', async () => {
    assert.match(serving.grpcAddress!, /^127\.0\.0\.1:\d+$/)
    assert.deepEqual(await call(client, 'ServerLive', {}), { live: true })
    assert.deepEqual(await call(client, 'ServerReady', {}), { ready: true })
    assert.deepEqual(await call(client, 'ModelReady', { name: 'diabetes' }), { ready: true })
    assert.deepEqual(await call(client, 'ModelReady', { name: 'other' }), { ready: false })
  })

  it('needs the endpoint key for metadata and inference', async () => {
    await refused(call(client, 'ModelMetadata', { name: 'diabetes' }), grpc.status.UNAUTHENTICATED, /authorization: Bearer/)
    const wrong = new grpc.Metadata()
    wrong.set('authorization', 'Bearer not-the-key-000000')
    await refused(call(client, 'ModelInfer', matrix({ fp64Contents: rows.flat() }), wrong), grpc.status.UNAUTHENTICATED)
    const meta = await call(client, 'ModelMetadata', { name: 'diabetes' }, withKey())
    assert.deepEqual(
      meta['inputs'].map((i: Plain) => i['name']),
      [...diabetesColumns],
    )
    assert.deepEqual(meta['outputs'], [{ name: 'prediction', datatype: 'FP64', shape: ['-1'] }])
  })

  it('infers from raw_input_contents and from typed contents, answering raw outputs', async () => {
    for (const request of [
      matrix({ raw: Buffer.from(new Float64Array(rows.flat()).buffer) }),
      matrix({ fp64Contents: rows.flat() }),
      matrix({ fp32Contents: rows.flat() }, 'FP32'),
    ]) {
      const answer = await call(client, 'ModelInfer', request, withKey())
      assert.equal(answer['id'], 'g1')
      assert.deepEqual(answer['outputs'], [{ name: 'prediction', datatype: 'FP64', shape: ['3', '1'], parameters: {}, contents: null }])
      const raw = answer['rawOutputContents'][0] as Buffer
      const got = Array.from(new Float64Array(new Uint8Array(raw).buffer))
      if (request.inputs[0]!.datatype === 'FP64') assert.deepEqual(got, expected)
      else assert.equal(got.length, 3)
    }
  })

  it('refuses bad tensors with INVALID_ARGUMENT and another model with NOT_FOUND', async () => {
    const cases: [Plain, RegExp][] = [
      [matrix({ fp64Contents: rows.flat().slice(1) }), /has 29 values in fp64Contents, but its shape needs 30/],
      [matrix({ fp32Contents: rows.flat() }), /is FP64, but its contents are in fp32Contents/],
      [matrix({}, 'FP16'), /FP16, which has no typed contents field; send it in raw_input_contents/],
      [matrix({ raw: Buffer.alloc(16) }), /has 16 bytes of binary data, but its shape needs 30 × 8 = 240/],
      [matrix({ boolContents: rows.flat().map((v) => v > 0) }, 'BOOL'), /is BOOL, but column 'age' takes double/],
      [matrix({ fp64Contents: rows.flat() }, 'FLOAT'), /datatype 'FLOAT', which is not one of/],
      [{ ...matrix({ fp64Contents: rows.flat() }), outputs: [{ name: 'nope' }] }, /unknown output 'nope'/],
    ]
    for (const [request, message] of cases) await refused(call(client, 'ModelInfer', request, withKey()), grpc.status.INVALID_ARGUMENT, message)
    await refused(call(client, 'ModelInfer', { ...matrix({ fp64Contents: rows.flat() }), modelName: 'other' }, withKey()), grpc.status.NOT_FOUND)
    await refused(call(client, 'ModelInfer', { ...matrix({ fp64Contents: rows.flat() }), modelVersion: '7' }, withKey()), grpc.status.NOT_FOUND)
  })
})
