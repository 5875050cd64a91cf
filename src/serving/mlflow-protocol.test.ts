import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Predictor } from './predictor.js'
import { diabetesColumns, diabetesRows, postJson, request, serveDir, trainDiabetes } from './test-fixtures.js'
import type { RunningServing } from './serve-model.js'

describe('MLflow scoring protocol', () => {
  let serving: RunningServing
  let url: string
  let expected: number[]
  const rows = diabetesRows(3)
  const records = rows.map((r) => Object.fromEntries(diabetesColumns.map((c, j) => [c, r[j]])))

  before(async () => {
    const dir = await trainDiabetes()
    serving = await serveDir(dir)
    url = serving.url
    const p = await Predictor.load(dir)
    expected = Array.from((p.predict(p.schema!.fromRows(rows)) as { values: Float64Array }).values)
  })
  after(() => serving.close(100))

  const predictions = async (body: unknown) => {
    const res = await postJson(`${url}/invocations`, body)
    assert.equal(res.status, 200, res.text)
    assert.equal(res.headers.get('content-type'), 'application/json')
    return res.json()
  }

  it('answers dataframe_split, dataframe_records, instances and inputs with the same predictions', async () => {
    assert.deepEqual(await predictions({ dataframe_split: { columns: diabetesColumns, data: rows } }), { predictions: expected })
    assert.deepEqual(await predictions({ dataframe_split: { columns: diabetesColumns, index: [0, 1, 2], data: rows } }), { predictions: expected })
    assert.deepEqual(await predictions({ dataframe_records: records }), { predictions: expected })
    assert.deepEqual(await predictions({ instances: records }), { predictions: expected })
    assert.deepEqual(await predictions({ instances: rows }), { predictions: expected })
    const columnar = Object.fromEntries(diabetesColumns.map((c, j) => [c, rows.map((r) => r[j])]))
    assert.deepEqual(await predictions({ inputs: columnar }), { predictions: expected })
    assert.deepEqual(await predictions({ inputs: rows, params: { any: 1 } }), { predictions: expected })
  })

  it('answers a numeric dataframe_split the same through the direct reader and through JSON.parse', async () => {
    // `params` sends the same request down the general path (split-json.ts reads only the bare shape).
    const general = (split: unknown) => postJson(`${url}/invocations`, { dataframe_split: split, params: {} })
    const direct = (split: unknown) => postJson(`${url}/invocations`, { dataframe_split: split })
    const reordered = [...diabetesColumns].reverse()
    const cases: unknown[] = [
      { columns: diabetesColumns, data: rows },
      { data: rows.map((r) => [...r].reverse()), columns: reordered },
      { columns: diabetesColumns, data: [rows[0]!.map((v, j) => (j === 3 ? null : v))] },
      { columns: diabetesColumns, data: [] },
      { columns: diabetesColumns.slice(1), data: [rows[0]!.slice(1)] },
      { columns: [...diabetesColumns, 'extra'], data: [[...rows[0]!, 1]] },
      { columns: [...diabetesColumns.slice(1), 'age', 'age'], data: [[...rows[0]!.slice(1), 1, 2]] },
      { columns: diabetesColumns, data: [rows[0], rows[1]!.slice(1)] },
    ]
    for (const split of cases) {
      const [a, b] = [await direct(split), await general(split)]
      assert.equal(a.status, b.status, JSON.stringify(split))
      assert.equal(a.text, b.text, JSON.stringify(split))
    }
    assert.deepEqual((await direct(cases[1])).json(), { predictions: expected })
  })

  it('answers a text/csv body with a header row', async () => {
    const csv = `${[diabetesColumns.join(','), ...rows.map((r) => r.join(','))].join('\n')}\n`
    const res = await request(`${url}/invocations`, { body: csv, contentType: 'text/csv; charset=utf-8' })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.json(), { predictions: expected })
  })

  it('refuses other content types with a plain-text 415 that does not echo the header', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin-1',
      'application/vnd.bentoml+pickle',
      'text/html<script>alert(1)</script>',
    ]) {
      const res = await request(`${url}/invocations`, { body: '{}', contentType: type })
      assert.equal(res.status, 415, type)
      assert.match(res.headers.get('content-type')!, /^text\/plain/)
      assert.equal(res.text, 'This predictor only supports the following content types: application/json, text/csv.')
    }
    const none = await request(`${url}/invocations`, { body: Buffer.from('{}') })
    assert.equal(none.status, 415)
  })

  it('answers 400 BAD_REQUEST naming the problem for malformed or mismatched input', async () => {
    const cases: [unknown, RegExp][] = [
      ['{"dataframe_split": ', /malformed JSON/],
      [{}, /exactly one of the input fields dataframe_split, dataframe_records, instances, inputs/],
      [{ instances: rows, inputs: rows }, /exactly one of/],
      [[1, 2], /exactly one of/],
      [{ dataframe_split: { columns: diabetesColumns.slice(1), data: rows.map((r) => r.slice(1)) } }, /missing column 'age'/],
      [{ dataframe_split: { columns: [...diabetesColumns, 'extra'], data: rows.map((r) => [...r, 1]) } }, /unexpected column 'extra'/],
      [{ dataframe_split: { columns: diabetesColumns, data: [['x', ...rows[0]!.slice(1)]] } }, /column 'age' expects double, got string/],
      [{ dataframe_split: { columns: diabetesColumns, data: [rows[0]!.slice(2)] } }, /row 0 has 8 values, expected 10/],
      [{ dataframe_split: { columns: diabetesColumns, data: [] } }, /empty batch/],
      [{ dataframe_records: [] }, /empty batch/],
      [{ instances: [], params: {} }, /empty batch/],
      [{ inputs: rows, params: 3 }, /'params' must be an object/],
    ]
    for (const [body, message] of cases) {
      const res = await postJson(`${url}/invocations`, body)
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.equal(res.json().error_code, 'BAD_REQUEST')
      assert.match(res.json().message, message)
    }
  })

  it('answers /ping and /health with 200 and a newline, and /version with the Wharf version', async () => {
    for (const path of ['/ping', '/health']) {
      const res = await request(`${url}${path}`)
      assert.equal(res.status, 200)
      assert.equal(res.text, '\n')
    }
    const v = await request(`${url}/version`)
    assert.equal(v.status, 200)
    assert.match(v.text, /^\d+\.\d+\.\d+/)
  })
})
