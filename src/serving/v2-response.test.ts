import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Prediction } from '../models/index.js'
import { readV2Request } from './v2-request.js'
import { v2InferReply } from './v2-response.js'

const prediction = (values: number[], dims = [values.length, 1]): Prediction => ({
  rowCount: values.length,
  task: 'regression',
  values: new Float64Array(values),
  outputs: { prediction: { dims, data: new Float64Array(values) } },
})

const request = (outputs?: unknown, id?: string) =>
  readV2Request(
    Buffer.from(
      JSON.stringify({
        ...(id === undefined ? {} : { id }),
        inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }],
        ...(outputs ? { outputs } : {}),
      }),
    ),
    {},
  )

/** The answer's bytes as a client reads them: the latin1 string body is one byte a character. */
const bytesOf = (body: string | Buffer, encoding: 'latin1' | undefined) => (typeof body === 'string' ? Buffer.from(body, encoding ?? 'utf8') : body)

describe('V2 inference answers', () => {
  it('writes each answer with its own numbers and shape when the layout of the last one is reused', () => {
    const answer = { modelName: 'diabetes', modelVersion: '3' }
    const asked = request()
    for (const values of [[150.5], [-2.25], [1, 2, 3], [4]]) {
      const reply = v2InferReply(answer, asked, prediction(values))
      assert.equal(reply.contentType, 'application/json')
      assert.deepEqual(JSON.parse(reply.body as string), {
        model_name: 'diabetes',
        model_version: '3',
        id: '',
        outputs: [{ name: 'prediction', shape: [values.length, 1], datatype: 'FP64', data: values }],
      })
    }
    // Another id, another layout.
    assert.equal(JSON.parse(v2InferReply(answer, request(undefined, 'r-7'), prediction([1])).body as string).id, 'r-7')
  })

  it('writes binary outputs after the JSON header, its length in Inference-Header-Content-Length, for ASCII and other headers', () => {
    for (const [modelName, id] of [
      ['diabetes', 'a'],
      ['diabetes', 'b'],
      ['modèle', 'ünï'],
      ['modèle', 'ünï'],
    ] as const) {
      const asked = request([{ name: 'prediction', parameters: { binary_data: true } }], id)
      for (const values of [[150.5], [1, 2]]) {
        const reply = v2InferReply({ modelName, modelVersion: undefined }, asked, prediction(values))
        const bytes = bytesOf(reply.body, reply.encoding)
        assert.equal(reply.headers?.[0], 'inference-header-content-length')
        const headerLength = Number(reply.headers?.[1])
        const header = JSON.parse(bytes.subarray(0, headerLength).toString('utf8'))
        assert.equal(header.model_name, modelName)
        assert.equal(header.id, id)
        assert.deepEqual(header.outputs, [
          { name: 'prediction', shape: [values.length, 1], datatype: 'FP64', parameters: { binary_data_size: 8 * values.length } },
        ])
        const data = bytes.subarray(headerLength)
        assert.deepEqual(Array.from(new Float64Array(new Uint8Array(data).buffer)), values)
      }
    }
  })

  it('still refuses an output the model does not have, after a layout was kept', () => {
    v2InferReply({ modelName: 'm', modelVersion: undefined }, request([{ name: 'prediction' }]), prediction([1]))
    assert.throws(() => v2InferReply({ modelName: 'm', modelVersion: undefined }, request([{ name: 'nope' }]), prediction([1])), /unknown output 'nope'/)
  })
})
