import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { answerPredictions, predictionNumbers, requestRows } from './request-rows.js'

const expected = [
  { a: 1, b: 2 },
  { a: 3, b: 4 },
]

describe('request rows', () => {
  it('reads the rows of every JSON shape that names its columns', () => {
    assert.deepEqual(
      requestRows({
        dataframe_split: {
          columns: ['a', 'b'],
          data: [
            [1, 2],
            [3, 4],
          ],
        },
      }),
      expected,
    )
    assert.deepEqual(
      requestRows({
        input_data: {
          columns: ['a', 'b'],
          data: [
            [1, 2],
            [3, 4],
          ],
        },
      }),
      expected,
    )
    assert.deepEqual(requestRows({ dataframe_records: expected }), expected)
    assert.deepEqual(requestRows({ instances: expected }), expected)
    assert.deepEqual(requestRows({ inputs: { a: [1, 3], b: [2, 4] } }), expected)
    const v2 = {
      inputs: [
        { name: 'a', shape: [2, 1], datatype: 'FP64', data: [1, 3] },
        { name: 'b', shape: [2, 1], datatype: 'FP64', data: [[2], [4]] },
      ],
    }
    assert.deepEqual(requestRows(v2), expected)
  })

  it('has no rows for bodies without column names', () => {
    assert.equal(requestRows({ instances: [[1, 2]] }), undefined)
    assert.equal(requestRows({ inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP64', data: [1, 2] }] }), undefined)
    assert.equal(requestRows('a,b\n1,2'), undefined)
    assert.equal(requestRows(null), undefined)
  })

  it('reads predictions from MLflow, KServe V2 and Azure ML answers, one number per row', () => {
    assert.deepEqual(answerPredictions({ predictions: [1.5, 2] }), [1.5, 2])
    assert.deepEqual(answerPredictions({ outputs: [{ name: 'variable', data: [3, 4] }] }), [3, 4])
    assert.deepEqual(answerPredictions([5, 6]), [5, 6])
    assert.equal(answerPredictions({ error_code: 'BAD_REQUEST' }), undefined)
    assert.deepEqual(predictionNumbers([1, [2, 9], { p: 3 }, 'x']), [1, 2, 3, Number.NaN])
  })
})
