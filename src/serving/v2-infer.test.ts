import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Predictor } from './predictor.js'
import type { RunningServing } from './serve-model.js'
import { diabetesColumns, diabetesRows, serveDir, trainDiabetes } from './test-fixtures.js'

/** A V2 request as tritonclient sends it: JSON header, then each binary input's bytes; no Content-Type. */
function binaryRequest(header: unknown, ...tensors: Buffer[]): { body: Buffer; headers: Record<string, string> } {
  const json = Buffer.from(JSON.stringify(header))
  return { body: Buffer.concat([json, ...tensors]), headers: { 'inference-header-content-length': String(json.length) } }
}

interface RawAnswer {
  status: number
  headers: Headers
  body: Buffer
}

async function post(url: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  // A Buffer, not a string: fetch would add text/plain to a string body, and tritonclient sends no Content-Type.
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? Buffer.from(body) : body, headers })
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
}

/** Splits a binary response the way tritonclient's InferResult does. */
function readBinaryAnswer(answer: RawAnswer): { header: any; tensors: Record<string, Buffer> } {
  const length = Number(answer.headers.get('inference-header-content-length'))
  const header = JSON.parse(answer.body.subarray(0, length).toString())
  const tensors: Record<string, Buffer> = {}
  let at = length
  for (const o of header.outputs) {
    const size = o.parameters?.binary_data_size
    if (size === undefined) continue
    tensors[o.name] = answer.body.subarray(at, at + size)
    at += size
  }
  assert.equal(at, answer.body.length, 'every byte after the header belongs to an output')
  return { header, tensors }
}

const float64s = (b: Buffer) => Array.from(new Float64Array(new Uint8Array(b).buffer))

describe('KServe V2 inference: no Content-Type, binary tensors, every datatype', () => {
  let serving: RunningServing
  let infer: string
  let expected: number[]
  const rows = diabetesRows(3)
  const matrix = new Float64Array(rows.flat())

  before(async () => {
    const dir = await trainDiabetes()
    serving = await serveDir(dir, { modelName: 'diabetes' })
    infer = `${serving.url}/v2/models/diabetes/infer`
    const p = await Predictor.load(dir)
    expected = Array.from((p.predict(p.schema!.fromRows(rows)) as { values: Float64Array }).values)
  })
  after(() => serving.close(100))

  it('takes JSON with no Content-Type, as tritonclient sends it', async () => {
    const res = await post(infer, JSON.stringify({ inputs: [{ name: 'x', shape: [3, 10], datatype: 'FP64', data: rows.flat() }] }))
    assert.equal(res.status, 200, res.body.toString())
    assert.equal(res.headers.get('content-type'), 'application/json')
    assert.deepEqual(JSON.parse(res.body.toString()).outputs, [{ name: 'prediction', shape: [3, 1], datatype: 'FP64', data: expected }])
  })

  it('reads binary inputs and answers binary outputs when binary_data_output asks', async () => {
    const { body, headers } = binaryRequest(
      {
        id: 'b1',
        parameters: { binary_data_output: true },
        inputs: [{ name: 'x', shape: [3, 10], datatype: 'FP64', parameters: { binary_data_size: matrix.byteLength } }],
      },
      Buffer.from(matrix.buffer),
    )
    const res = await post(infer, body, { ...headers, 'content-type': 'application/octet-stream' })
    assert.equal(res.status, 200, res.body.toString())
    assert.equal(res.headers.get('content-type'), 'application/octet-stream')
    const { header, tensors } = readBinaryAnswer(res)
    assert.deepEqual(header, {
      model_name: 'diabetes',
      id: 'b1',
      outputs: [{ name: 'prediction', shape: [3, 1], datatype: 'FP64', parameters: { binary_data_size: 24 } }],
    })
    assert.deepEqual(float64s(tensors['prediction']!), expected)
  })

  it('answers per output: binary_data false beats binary_data_output, true asks for binary in a JSON request', async () => {
    const { body, headers } = binaryRequest(
      {
        parameters: { binary_data_output: true },
        inputs: [{ name: 'x', shape: [3, 10], datatype: 'FP64', parameters: { binary_data_size: matrix.byteLength } }],
        outputs: [{ name: 'prediction', parameters: { binary_data: false } }],
      },
      Buffer.from(matrix.buffer),
    )
    const res = await post(infer, body, headers)
    assert.equal(res.status, 200, res.body.toString())
    assert.equal(res.headers.get('inference-header-content-length'), null)
    assert.deepEqual(JSON.parse(res.body.toString()).outputs[0].data, expected)
    const asked = await post(
      infer,
      JSON.stringify({
        inputs: [{ name: 'x', shape: [3, 10], datatype: 'FP64', data: rows }],
        outputs: [{ name: 'prediction', parameters: { binary_data: true } }],
      }),
      { 'content-type': 'application/json' },
    )
    assert.deepEqual(float64s(readBinaryAnswer(asked).tensors['prediction']!), expected)
  })

  it('takes one binary tensor per column, in any numeric datatype', async () => {
    const integral = diabetesRows(2).map((r) => r.map((v) => Math.round(v * 100)))
    const p = await Predictor.load(serving.slot.current!.predictor.dir)
    const want = Array.from((p.predict(p.schema!.fromRows(integral)) as { values: Float64Array }).values)
    const encoders: [string, (v: number[]) => ArrayBufferView][] = [
      ['INT8', (v) => Int8Array.from(v)],
      ['INT16', (v) => Int16Array.from(v)],
      ['INT32', (v) => Int32Array.from(v)],
      ['INT64', (v) => BigInt64Array.from(v, (x) => BigInt(x))],
      ['FP32', (v) => Float32Array.from(v)],
      ['FP64', (v) => Float64Array.from(v)],
    ]
    for (const [datatype, encode] of encoders) {
      const columns = diabetesColumns.map((_, j) => encode(integral.map((r) => r[j]!)))
      const { body, headers } = binaryRequest(
        {
          parameters: { binary_data_output: true },
          inputs: diabetesColumns.map((name, j) => ({ name, shape: [2], datatype, parameters: { binary_data_size: columns[j]!.byteLength } })),
        },
        ...columns.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
      )
      const res = await post(infer, body, headers)
      assert.equal(res.status, 200, `${datatype}: ${res.body}`)
      assert.deepEqual(float64s(readBinaryAnswer(res).tensors['prediction']!), want, datatype)
    }
  })

  it('maps or refuses every datatype by name in JSON requests', async () => {
    const small = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]
    for (const datatype of ['UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64']) {
      const res = await post(infer, JSON.stringify({ inputs: [{ name: 'x', shape: [1, 10], datatype, data: small }] }))
      assert.equal(res.status, 200, `${datatype}: ${res.body}`)
    }
    const refused: [string, unknown[], RegExp][] = [
      ['BOOL', small[0]!.map((v) => v > 4), /input 'x' is BOOL, but column 'age' takes double/],
      ['BYTES', small[0]!.map(String), /input 'x' is BYTES, but column 'age' takes double/],
      ['FLOAT', small[0]!, /datatype 'FLOAT', which is not one of BOOL, UINT8, .* BYTES/],
      ['UINT8', small[0]!.map((v) => v - 1), /is UINT8, but flat index 0 holds the number -1 \(outside 0..255\)/],
      // The security review's two cases (#12): a made-up datatype, and a value out of its type's range.
      ['FP1024', small[0]!, /datatype 'FP1024', which is not one of BOOL, UINT8, .* BYTES/],
      ['INT8', [1000, ...small[0]!.slice(1)], /is INT8, but flat index 0 holds the number 1000 \(outside -128..127\)/],
    ]
    for (const [datatype, data, message] of refused) {
      const res = await post(infer, JSON.stringify({ inputs: [{ name: 'x', shape: [1, 10], datatype, data }] }))
      assert.equal(res.status, 400, datatype)
      assert.match(JSON.parse(res.body.toString()).error, message)
    }
  })

  it('refuses shapes and sizes that do not match, with a 400 that says which', async () => {
    const input = (size: number, shape = [3, 10]) => ({ name: 'x', shape, datatype: 'FP64', parameters: { binary_data_size: size } })
    const bytes = Buffer.from(matrix.buffer)
    const cases: [{ body: Buffer; headers: Record<string, string> }, RegExp][] = [
      [binaryRequest({ inputs: [input(bytes.length, [2, 10])] }, bytes), /has 240 bytes of binary data, but its shape needs 20 × 8 = 160 for FP64/],
      [binaryRequest({ inputs: [input(bytes.length - 8)] }, bytes), /has 232 bytes of binary data, but its shape needs 30 × 8 = 240/],
      [binaryRequest({ inputs: [input(bytes.length)] }, bytes, Buffer.from([1])), /1 bytes after the binary inputs/],
      [binaryRequest({ inputs: [input(bytes.length + 8)] }, bytes), /needs 248 bytes of binary data, but only 240 are left/],
      [binaryRequest({ inputs: [input(216, [3, 9])] }, bytes.subarray(0, 216)), /must have shape \[N\] or \[N, 1\] \(one column\) or \[N, 10\]/],
      [{ body: bytes, headers: { 'inference-header-content-length': '9999' } }, /Inference-Header-Content-Length must be the size of the JSON header/],
      [
        { body: Buffer.from(JSON.stringify({ inputs: [input(8)] })), headers: {} },
        /has binary_data_size, but the request has no Inference-Header-Content-Length/,
      ],
    ]
    for (const [{ body, headers }, message] of cases) {
      const res = await post(infer, body, headers)
      assert.equal(res.status, 400, String(message))
      assert.match(JSON.parse(res.body.toString()).error, message)
    }
    const json = await post(infer, JSON.stringify({ inputs: [{ name: 'x', shape: [3, 10], datatype: 'FP64', data: rows.flat().slice(1) }] }))
    assert.match(JSON.parse(json.body.toString()).error, /has 29 values, but shape \[3,10\] needs 30/)
  })

  it('refuses other media types, compressed bodies and the classification extension', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'x', shape: [3, 10], datatype: 'FP64', data: rows }] })
    const text = await post(infer, body, { 'content-type': 'text/plain' })
    assert.equal(text.status, 415)
    assert.match(JSON.parse(text.body.toString()).error, /V2 inference takes application\/json, application\/octet-stream/)
    const gzip = await post(infer, body, { 'content-encoding': 'gzip' })
    assert.equal(gzip.status, 415)
    const classify = await post(
      infer,
      JSON.stringify({
        inputs: [{ name: 'x', shape: [3, 10], datatype: 'FP64', data: rows }],
        outputs: [{ name: 'prediction', parameters: { classification: 2 } }],
      }),
    )
    assert.equal(classify.status, 400)
    assert.match(JSON.parse(classify.body.toString()).error, /classification extension is not supported/)
  })

  it('announces the binary tensor extension in the server metadata', async () => {
    const meta = (await (await fetch(`${serving.url}/v2`)).json()) as { extensions: string[] }
    assert.deepEqual(meta.extensions, ['binary_tensor_data'])
  })
})
