import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { batchFromCsv, parseCsv } from './csv-input.js'
import { InputSchema } from './input-schema.js'

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and CRLF line ends', () => {
    assert.deepEqual(parseCsv('a,b\r\n"x,1","say ""hi"""\r\n'), [
      ['a', 'b'],
      ['x,1', 'say "hi"'],
    ])
  })
  it('refuses an unterminated quote', () => {
    assert.throws(() => parseCsv('a\n"open'), /not closed/)
  })
})

describe('batchFromCsv', () => {
  const schema = new InputSchema([
    { name: 'x', type: 'double', kind: 'number', required: true },
    { name: 's', type: 'string', kind: 'string', required: true },
  ])
  it('converts cells by column type, an empty numeric cell being missing', () => {
    const b = batchFromCsv('s,x\nred,1.5\nblue,\n', schema)
    assert.deepEqual(Array.from(b.columns[0] as Float64Array), [1.5, Number.NaN])
    assert.deepEqual(b.columns[1], ['red', 'blue'])
  })
  it('names a non-numeric cell and a ragged row', () => {
    assert.throws(() => batchFromCsv('x,s\nabc,r\n', schema), /column 'x' expects a number/)
    assert.throws(() => batchFromCsv('x,s\n1\n', schema), /row 1 has 1 fields, expected 2/)
    assert.throws(() => batchFromCsv('x,s\n', schema), /empty batch/)
  })
})
