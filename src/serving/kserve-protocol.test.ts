import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Predictor } from './predictor.js'
import type { RunningServing } from './serve-model.js'
import { diabetesColumns, diabetesRows, postJson, request, serveDir, trainDiabetes } from './test-fixtures.js'

describe('KServe V2 (Open Inference Protocol) and V1', () => {
  let serving: RunningServing
  let url: string
  let expected: number[]
  const rows = diabetesRows(2)

  before(async () => {
    const dir = await trainDiabetes()
    serving = await serveDir(dir, { modelName: 'diabetes' })
    url = serving.url
    const p = await Predictor.load(dir)
    expected = Array.from((p.predict(p.schema!.fromRows(rows)) as { values: Float64Array }).values)
  })
  after(() => serving.close(100))

  it('answers server metadata, liveness and readiness', async () => {
    const meta = await request(`${url}/v2`)
    assert.equal(meta.status, 200)
    assert.deepEqual(Object.keys(meta.json()), ['name', 'version', 'extensions'])
    assert.equal(meta.json().name, 'wharf')
    assert.deepEqual((await request(`${url}/v2/health/live`)).json(), { live: true })
    assert.deepEqual((await request(`${url}/v2/health/ready`)).json(), { ready: true })
    assert.deepEqual((await request(`${url}/v2/models/diabetes/ready`)).json(), { name: 'diabetes', ready: true })
  })

  it('answers model metadata with one FP64 input per column and the prediction output', async () => {
    const res = await request(`${url}/v2/models/diabetes`)
    assert.equal(res.status, 200)
    assert.deepEqual(res.json(), {
      name: 'diabetes',
      platform: 'wharf_native',
      inputs: diabetesColumns.map((name) => ({ name, datatype: 'FP64', shape: [-1] })),
      outputs: [{ name: 'prediction', datatype: 'FP64', shape: [-1] }],
    })
  })

  it('infers from one [N, 10] tensor and from one tensor per column, echoing the id', async () => {
    const matrix = { id: 'req-1', inputs: [{ name: 'input-0', shape: [2, 10], datatype: 'FP64', data: rows.flat() }] }
    const res = await postJson(`${url}/v2/models/diabetes/infer`, matrix)
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.json(), { model_name: 'diabetes', id: 'req-1', outputs: [{ name: 'prediction', shape: [2, 1], datatype: 'FP64', data: expected }] })
    const perColumn = {
      inputs: diabetesColumns.map((name, j) => ({ name, shape: [2], datatype: 'FP64', data: rows.map((r) => r[j]) })),
      outputs: [{ name: 'prediction' }],
    }
    const res2 = await postJson(`${url}/v2/models/diabetes/infer`, perColumn)
    assert.equal(res2.status, 200, res2.text)
    assert.deepEqual(res2.json().outputs[0].data, expected)
    const nested = { inputs: [{ name: 'x', shape: [2, 10], datatype: 'FP64', data: rows }] }
    assert.deepEqual((await postJson(`${url}/v2/models/diabetes/infer`, nested)).json().outputs[0].data, expected)
  })

  it('answers failures as {"error": ...} with 400 for bad tensors and 404 for another model', async () => {
    const bad: [unknown, RegExp][] = [
      [{ inputs: [{ name: 'x', shape: [2, 10], datatype: 'FP64', data: rows.flat().slice(1) }] }, /has 19 values, but shape \[2,10\] needs 20/],
      [{ inputs: [] }, /non-empty list/],
      [{ inputs: [{ name: 'age', shape: [1], datatype: 'FP64', data: [1] }] }, /missing column 'sex'/],
      [
        { inputs: [{ name: 'x', shape: [1, 10], datatype: 'BYTES', data: ['a', ...rows[0]!.slice(1)] }] },
        /input 'x' is BYTES, but flat index 1 holds the number/,
      ],
      [{ inputs: [{ name: 'x', shape: [1, 10], datatype: 'FP64', data: rows[0] }], outputs: [{ name: 'nope' }] }, /unknown output 'nope'/],
      ['not json', /malformed JSON/],
    ]
    for (const [body, message] of bad) {
      const res = await postJson(`${url}/v2/models/diabetes/infer`, body)
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.deepEqual(Object.keys(res.json()), ['error'])
      assert.match(res.json().error, message)
    }
    const other = await postJson(`${url}/v2/models/other/infer`, { inputs: [] })
    assert.equal(other.status, 404)
    assert.deepEqual(Object.keys(other.json()), ['error'])
    assert.equal((await request(`${url}/v2/models/diabetes/versions/3`)).status, 404)
  })

  it('answers V1 list, status and predict', async () => {
    assert.deepEqual((await request(`${url}/v1/models`)).json(), { models: ['diabetes'] })
    assert.deepEqual((await request(`${url}/v1/models/diabetes`)).json(), { name: 'diabetes', ready: true })
    const res = await postJson(`${url}/v1/models/diabetes:predict`, { instances: rows })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.json(), { predictions: expected })
    const bad = await postJson(`${url}/v1/models/diabetes:predict`, { rows })
    assert.equal(bad.status, 400)
    assert.match(bad.json().error, /needs 'instances'/)
  })

  it('answers V1 rows read from bytes as the general reader does, and leaves anything else to it', async () => {
    // {"instances": rows} alone is read from its bytes; another key or a null sends it to JSON.parse.
    const general = await postJson(`${url}/v1/models/diabetes:predict`, { instances: rows, signature_name: 'serving_default' })
    assert.equal(general.status, 200, general.text)
    assert.deepEqual(general.json(), { predictions: expected })
    const spaced = await request(`${url}/v1/models/diabetes:predict`, {
      contentType: 'application/json',
      body: ` { "instances" : ${JSON.stringify(rows, null, 1)} } \n`,
    })
    assert.deepEqual(spaced.json(), { predictions: expected })
    // A null, or rows narrower than the model, are left to the general reader: the same answer as with another key beside.
    for (const instances of [[[null, ...rows[0]!.slice(1)]], [rows[0]!.slice(1)]]) {
      const alone = await postJson(`${url}/v1/models/diabetes:predict`, { instances })
      const beside = await postJson(`${url}/v1/models/diabetes:predict`, { instances, signature_name: 'serving_default' })
      assert.deepEqual([alone.status, alone.text], [beside.status, beside.text])
    }
    assert.equal((await postJson(`${url}/v1/models/diabetes:predict`, { instances: [rows[0]!.slice(1)] })).status, 400)
    // V2 after V1 and the other way round: each reader's reused memory holds only its own request.
    for (let i = 0; i < 2; i++) {
      const v2 = await postJson(`${url}/v2/models/diabetes/infer`, { inputs: [{ name: 'x', shape: [2, 10], datatype: 'FP64', data: rows.flat() }] })
      assert.deepEqual(v2.json().outputs[0].data, expected)
      assert.deepEqual((await postJson(`${url}/v1/models/diabetes:predict`, { instances: [rows[1]] })).json(), { predictions: [expected[1]] })
    }
  })
})
