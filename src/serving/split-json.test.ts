import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRng } from '../train/index.js'
import { RowsReader } from './numeric-rows.js'
import { NumericSplitReader, readNumericSplit, type NumericSplit } from './split-json.js'

const read = (text: string) => readNumericSplit(Buffer.from(text))

/** The values a split holds (its `values` is a view of the reader's whole buffer). */
const valuesOf = (split: NumericSplit): number[] => Array.from(split.values.subarray(split.offset, split.offset + split.rowCount * split.width))

/** What the general path makes of the same body: the dataframe_split's columns and flat numbers. */
function viaJsonParse(text: string): { columns: string[]; values: number[] } {
  const split = JSON.parse(text).dataframe_split
  return { columns: split.columns, values: split.data.flat().map((v: number | null) => (v === null ? Number.NaN : v)) }
}

function randomNumberText(rng: () => number): string {
  const kind = rng()
  if (kind < 0.05) return 'null'
  if (kind < 0.15) return String(Math.floor((rng() - 0.5) * 1e6))
  if (kind < 0.2) return `${(rng() * 10).toFixed(3)}e${Math.floor(rng() * 40) - 20}`
  if (kind < 0.25) return `-0.${'0'.repeat(Math.floor(rng() * 8))}${Math.floor(rng() * 1e9)}E+${Math.floor(rng() * 3)}`
  if (kind < 0.3) return String((rng() - 0.5) * 1e25) // 20+ digits: left to V8
  return String((rng() - 0.5) * 10 ** Math.floor(rng() * 8 - 4))
}

function randomBody(rng: () => number): string {
  const width = 1 + Math.floor(rng() * 6)
  const rows = Math.floor(rng() * 5)
  const ws = () => [' ', '', '\n', '\t', '  '][Math.floor(rng() * 5)]!
  const columns = Array.from({ length: width }, (_, i) => `"c${i}${rng() < 0.1 ? 'é' : ''}"`).join(`,${ws()}`)
  const data = Array.from({ length: rows }, () => `[${Array.from({ length: width }, () => ws() + randomNumberText(rng) + ws()).join(',')}]`).join(`,${ws()}`)
  const members = [`"columns":${ws()}[${columns}]`, `"data"${ws()}:[${data}]`]
  if (rng() < 0.5) members.reverse()
  return `${ws()}{${ws()}"dataframe_split"${ws()}:${ws()}{${members.join(`,${ws()}`)}}${ws()}}${ws()}`
}

describe('readNumericSplit', () => {
  it('reads the hot request shape into row-major numbers, null as NaN', () => {
    const split = read('{"dataframe_split": {"columns": ["a", "b"], "data": [[1, -2.5], [null, 3e2]]}}')
    assert.deepEqual(split?.columns, ['a', 'b'])
    assert.equal(split?.rowCount, 2)
    assert.deepEqual(valuesOf(split!), [1, -2.5, Number.NaN, 300])
  })

  it('reuses the column list a client sends again, and notices when it changes', () => {
    const reader = new NumericSplitReader()
    const body = (columns: string, row: string) => Buffer.from(`{"dataframe_split": {"columns": ${columns}, "data": [${row}]}}`)
    const first = reader.read(body('["a", "b"]', '[1, 2]'))!
    const again = reader.read(body('["a", "b"]', '[3, 4]'))!
    assert.equal(again.columns, first.columns) // the same array: InputSchema keeps its positions
    assert.deepEqual(valuesOf(again), [3, 4])
    const longer = reader.read(body('["a", "b", "c"]', '[5, 6, 7]'))!
    assert.deepEqual(longer.columns, ['a', 'b', 'c'])
    const renamed = reader.read(body('["a", "x"]', '[8, 9]'))!
    assert.deepEqual(renamed.columns, ['a', 'x'])
    assert.equal(reader.read(body('["a", "x"', '[8, 9]')), undefined)
    assert.deepEqual(reader.read(body('["a", "x"]', '[1, 0]'))!.columns, ['a', 'x'])
  })

  it('reads random bodies to exactly the numbers JSON.parse gives', () => {
    const rng = createRng(3)
    const reader = new NumericSplitReader() // one reader for all: its reused buffers must not leak between bodies
    for (let i = 0; i < 5_000; i++) {
      const text = randomBody(rng)
      const split = reader.read(Buffer.from(text))
      assert.ok(split !== undefined, text)
      const expected = viaJsonParse(text)
      assert.deepEqual(split.columns, expected.columns, text)
      assert.deepEqual(valuesOf(split), expected.values, text)
    }
  })

  it('reads 15- to 19-digit decimals at every exponent, and the extremes, as JSON.parse does', () => {
    // The WebAssembly reader (numeric-rows.ts) has a fast path (Clinger), Eisel–Lemire for
    // exponents within ±64 and Rust's exact reader beyond them, for 20+ digits and subnormals.
    const rng = createRng(17)
    const numbers: string[] = []
    for (let i = 0; i < 50_000; i++) {
      const mantissa = String(1 + Math.floor(rng() * 9)) + Array.from({ length: 14 + Math.floor(rng() * 5) }, () => Math.floor(rng() * 10)).join('')
      const point = Math.floor(rng() * mantissa.length)
      const text = `${rng() < 0.5 ? '-' : ''}${mantissa.slice(0, point) || '0'}.${mantissa.slice(point)}`
      numbers.push(rng() < 0.5 ? text : `${text}e${Math.floor(rng() * 160) - 80}`)
    }
    numbers.push('0', '-0', '0e400', '1e-400', '5e-324', '2.2250738585072011e-308', '1.7976931348623157e308')
    numbers.push('9007199254740993', '9007199254740995', '0.000000000000000000001234567890123456789', '123456789012345678901234567890')
    numbers.push('1E5', '1e+5', '1.5E-5', '0.1', '0.3', String(2 ** 63), String(2 ** 64 + 2 ** 12))
    const text = `{"dataframe_split": {"columns": ["x"], "data": [${numbers.map((n) => `[${n}]`).join(',')}]}}`
    const split = read(text)
    assert.ok(split !== undefined)
    assert.equal(split.rowCount, numbers.length)
    const expected = viaJsonParse(text).values
    const got = valuesOf(split)
    for (let i = 0; i < numbers.length; i++) assert.ok(Object.is(got[i], expected[i]), `${numbers[i]}: ${got[i]} != ${expected[i]}`)
  })

  it('leaves a number that overflows a double to the general reader, which refuses it', () => {
    for (const n of ['1e400', '-1e400', '1.8e308', '123456789012345678901234567890e300']) {
      assert.equal(read(`{"dataframe_split": {"columns": ["x"], "data": [[1], [${n}]]}}`), undefined, n)
    }
  })

  it('reads a large body, and small ones after it', () => {
    const reader = new NumericSplitReader()
    const row = '[0.038075906433423026, -0.04464163650698914, 12, null]'
    const big = Buffer.from(`{"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [${Array(60_000).fill(row).join(',')}]}}`)
    assert.ok(big.length > 3_000_000)
    const split = reader.read(big)!
    assert.equal(split.rowCount, 60_000)
    assert.deepEqual(valuesOf(split).slice(-4), [0.038075906433423026, -0.04464163650698914, 12, Number.NaN])
    const small = reader.read(Buffer.from('{"dataframe_split": {"columns": ["a"], "data": [[7], [8]]}}'))!
    assert.deepEqual(valuesOf(small), [7, 8])
  })

  it('leaves a body larger than its WebAssembly memory takes to the general parser', () => {
    const reader = new RowsReader(1024)
    const rows = (n: number) => Buffer.from(`[${Array(n).fill('[1.5, 2]').join(',')}]`)
    const small = reader.read(rows(100), 0)!
    assert.equal(small.rowCount, 100)
    assert.equal(small.values[small.offset + 199], 2)
    assert.equal(reader.read(rows(200), 0), undefined) // 1,801 bytes
  })

  it('leaves everything outside its subset of JSON to the general parser', () => {
    const outside = [
      '{"dataframe_split": {"columns": ["a"], "data": [[1]]}, "params": {}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1]], "index": [0]}}',
      '{"dataframe_records": [{"a": 1}]}',
      '{"dataframe_split": {"columns": ["a\\u0062"], "data": [[1]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [["1"]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[true]]}}',
      '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3]]}}',
      '{"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}}',
      '{"dataframe_split": {"columns": ["a"], "columns": ["a"], "data": [[1]]}}',
      '{"dataframe_split": {"columns": ["a"]}}',
      // Not JSON at all: JSON.parse must get these, to answer with its 400.
      '{"dataframe_split": {"columns": ["a"], "data": [[01]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1.]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[.5]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[+1]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[-]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1e]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[NaN]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[nul]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1,]]}}',
      '{"dataframe_split": {"columns": ["a",], "data": [[1]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1]]}} x',
      '{"dataframe_split": {"columns": ["a"], "data": [[1]]}}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1]]}',
      "{'dataframe_split': {}}",
      '{"dataframe_split": {"columns": ["a\n"], "data": [[1]]}}',
      '',
      '}',
    ]
    for (const text of outside) assert.equal(read(text), undefined, text)
  })

  it('accepts nothing JSON.parse refuses, and reads what it accepts the same (mutation fuzz)', () => {
    const rng = createRng(5)
    const alphabet = '0123456789-+.eE,[]{}": nul\\'
    let accepted = 0
    for (let i = 0; i < 20_000; i++) {
      const chars = [...randomBody(rng)]
      for (let k = 1 + Math.floor(rng() * 3); k > 0; k--) {
        const at = Math.floor(rng() * (chars.length + 1))
        const op = rng()
        const c = alphabet[Math.floor(rng() * alphabet.length)]!
        if (op < 0.33) chars.splice(at, 1)
        else if (op < 0.66) chars.splice(at, 0, c)
        else chars[at] = c
      }
      const text = chars.join('')
      const split = read(text)
      if (split === undefined) continue
      accepted++
      const expected = viaJsonParse(text) // throws if the reader accepted invalid JSON
      assert.deepEqual(valuesOf(split), expected.values, text)
    }
    assert.ok(accepted > 1_000, `accepted ${accepted}`)
  })
})
