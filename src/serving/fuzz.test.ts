import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createRng } from '../train/index.js'
import type { RunningServing } from './serve-model.js'
import { diabetesColumns, diabetesRows, postJson, request, serveDir, trainDiabetes } from './test-fixtures.js'

const seed = 20261126
const rows = diabetesRows(2)
const valid = [
  { dataframe_split: { columns: diabetesColumns, data: rows } },
  { dataframe_records: rows.map((r) => Object.fromEntries(diabetesColumns.map((c, j) => [c, r[j]]))) },
  { instances: rows },
  { inputs: Object.fromEntries(diabetesColumns.map((c, j) => [c, rows.map((r) => r[j])])) },
  { inputs: [{ name: 'x', shape: [2, 10], datatype: 'FP64', data: rows.flat() }] },
  { data: rows },
  { input_data: { columns: diabetesColumns, data: rows } },
].map((b) => JSON.stringify(b))
const paths = ['/invocations', '/v2/models/model/infer', '/v1/models/model:predict', '/score']
const junk = [
  'null',
  'true',
  '[]',
  '{}',
  '""',
  '1e999',
  '-0',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{}}}',
  '[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]',
  '\u0000',
  '\ud800',
  `{"a":${'['.repeat(5000)}`,
]
const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'text/csv',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
]

function randomBody(r: () => number): string | Buffer {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!
  const kind = r()
  if (kind < 0.1) return pick(junk)
  if (kind < 0.2) return Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256)))
  let s = pick(valid)
  const edits = 1 + Math.floor(r() * 4)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(r() * s.length)
    const op = r()
    if (op < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 5))
    else if (op < 0.6) s = s.slice(0, at) + pick(['"', '[', ']', '{', '}', ',', ':', 'null', '"x"', '-', 'e', '1', 'true', '{}', '[]', '\\']) + s.slice(at)
    else if (op < 0.8) s = s.replace(/-?\d+\.\d+/, pick(['"abc"', 'null', 'true', '[1,2]', '{"a":1}', '1e308', '"NaN"']))
    else s = s.replace(pick(['"age"', '"data"', '"columns"', '"shape"', '"inputs"', '"instances"']), pick(['"AGE"', '"data2"', '""', '"__proto__"', '"s1"']))
  }
  return s
}

describe('fuzzing the scoring routes', () => {
  let serving: RunningServing
  let expected: string
  before(async () => {
    serving = await serveDir(await trainDiabetes(), { maxBodyBytes: 64 * 1024 })
    expected = (await postJson(`${serving.url}/invocations`, valid[0]!)).text
  })
  after(() => serving.close(100))

  it('answers 3,000 random and malformed bodies with 4xx and a message (or a correct 200), never 5xx, and still predicts correctly', async () => {
    const r = createRng(seed) // seeded, so a failing body reproduces
    const counts: Record<number, number> = {}
    const total = 3000
    const concurrency = 8
    let next = 0
    const worker = async () => {
      while (next < total) {
        const i = next++
        const path = paths[Math.floor(r() * paths.length)]!
        const type = contentTypes[Math.floor(r() * contentTypes.length)]!
        const body = randomBody(r)
        const res = await request(`${serving.url}${path}`, { body, ...(type ? { contentType: type } : {}) })
        counts[res.status] = (counts[res.status] ?? 0) + 1
        const where = `case ${i} (seed ${seed}) ${path} ${type}: ${String(body).slice(0, 120)}`
        assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${res.status} for ${where}: ${res.text}`)
        if (res.status === 200) {
          const json = res.json()
          const values = Array.isArray(json) ? json : (json.predictions ?? json.outputs?.[0]?.data)
          assert.ok(Array.isArray(values) && values.every((v: unknown) => typeof v === 'number' || v === null), where)
        } else if (res.status === 415) assert.match(res.text, /only supports the following content types|V2 inference takes/, where)
        else {
          const json = res.json()
          const message = json.message ?? (typeof json.error === 'string' ? json.error : json.error?.message)
          assert.ok(typeof message === 'string' && message.length > 0, `no message for ${where}: ${res.text}`)
        }
        if (i % 500 === 0) assert.equal((await postJson(`${serving.url}/invocations`, valid[0]!)).text, expected)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    assert.equal((await request(`${serving.url}/ping`)).status, 200)
    assert.equal((await postJson(`${serving.url}/invocations`, valid[0]!)).text, expected)
    const errors = Object.entries(counts)
      .filter(([s]) => s !== '200')
      .reduce((n, [, c]) => n + c, 0)
    assert.ok(errors > total * 0.8, `most fuzz bodies must be refused: ${JSON.stringify(counts)}`)
  })
})
