import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { checkTensor } from './tensor-input.js'
import { diabetesColumns, request, startServeProcess, trainDiabetes } from './test-fixtures.js'

const row = (first: string) => `[${first},0.01,0.02,0.03,0.04,0.05,0.06,0.07,0.08,0.09]`
const columns = JSON.stringify(diabetesColumns)
const record = (first: string) => `{${diabetesColumns.map((c, i) => `"${c}":${i === 0 ? first : '0.01'}`).join(',')}}`

/**
 * Issue #12 item 8, against a real `wharf serve` process: a number that overflows a double
 * (`1e400` is Infinity once read) is refused with 400 by every reader, instead of being scored into
 * a `null` prediction. The numeric dataframe_split body goes through the WebAssembly reader
 * (native/numeric-rows), the others through JSON.parse, CSV through the CSV reader.
 */
describe('wharf serve refuses numbers that overflow a double', () => {
  let model: string
  let serve: Awaited<ReturnType<typeof startServeProcess>>

  before(async () => {
    model = await trainDiabetes()
    serve = await startServeProcess(['--model-uri', model])
  })

  after(async () => {
    await serve.stop()
    await rm(dirname(model), { recursive: true, force: true })
  })

  const bodies = (n: string): [string, string, string][] => [
    ['/invocations', 'application/json', `{"dataframe_split":{"columns":${columns},"data":[${row('0.01')},${row(n)}]}}`],
    ['/invocations', 'application/json', `{"dataframe_split":{"columns":${columns},"data":[${row(n)}]},"params":{}}`],
    ['/invocations', 'application/json', `{"dataframe_records":[${record(n)}]}`],
    ['/invocations', 'application/json', `{"instances":[${row(n)}]}`],
    ['/invocations', 'application/json', `{"inputs":{${diabetesColumns.map((c, i) => `"${c}":[${i === 3 ? n : '0.01'}]`).join(',')}}}`],
    ['/invocations', 'text/csv', `${diabetesColumns.join(',')}\n${row(n).slice(1, -1)}\n`],
    ['/v1/models/model:predict', 'application/json', `{"instances":[${row(n)}]}`],
    ['/v2/models/model/infer', 'application/json', `{"inputs":[{"name":"input","shape":[1,10],"datatype":"FP64","data":${row(n)}}]}`],
    ['/score', 'application/json', `{"input_data":{"columns":${columns},"data":[${row(n)}]}}`],
    ['/score', 'application/json', `{"data":[${row(n)}]}`],
  ]

  it('answers 400 naming the overflow for 1e400, -1e400 and 1.8e308 on every protocol and reader', async () => {
    for (const n of ['1e400', '-1e400', '1.8e308', '123456789012345678901234567890e300']) {
      for (const [path, contentType, body] of bodies(n)) {
        const answer = await request(`${serve.url}${path}`, { body, contentType })
        assert.equal(answer.status, 400, `${n} ${path} ${body.slice(0, 60)}: ${answer.text}`)
        assert.match(answer.text, /overflow/, `${n} ${path}: ${answer.text}`)
      }
    }
  })

  it('still scores the largest finite doubles and nulls', async () => {
    for (const n of ['1.7976931348623157e308', '-1.7e308', 'null', '4.9e-324', '1e-400']) {
      const answer = await request(`${serve.url}/invocations`, {
        body: `{"dataframe_split":{"columns":${columns},"data":[${row(n)}]}}`,
        contentType: 'application/json',
      })
      assert.equal(answer.status, 200, `${n}: ${answer.text}`)
    }
  })

  it('refuses an overflowing value in a tensor, as its readers do for columns', () => {
    const info = { name: 'x', dtype: 'float64', shape: [-1, 2] }
    assert.throws(() => checkTensor(info, { data: [1, Infinity], dims: [1, 2] }), /overflow/)
    assert.deepEqual(checkTensor(info, { data: [1, 1.7e308], dims: [1, 2] }).data, [1, 1.7e308])
  })
})
