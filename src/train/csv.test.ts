import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CsvError, parseCsv } from './csv.js'

describe('parseCsv', () => {
  it('infers numeric and string columns and keeps empty cells as missing', () => {
    const t = parseCsv('a,b,c\n1,x,\n2.5,,3\n-1e3,"y, z",4\n')
    assert.equal(t.rowCount, 3)
    const [a, b, c] = t.columns
    assert.equal(a!.kind, 'numeric')
    assert.deepEqual(Array.from(a!.values as Float64Array), [1, 2.5, -1000])
    assert.equal(b!.kind, 'string')
    assert.deepEqual(b!.values, ['x', null, 'y, z'])
    assert.equal(c!.kind, 'numeric')
    assert.ok(Number.isNaN((c!.values as Float64Array)[0]))
  })

  it('reads quoted fields with escaped quotes, CRLF line ends and a BOM', () => {
    const t = parseCsv('\ufeffname,n\r\n"say ""hi""",1\r\n"two\nlines",2\r\n')
    assert.deepEqual(t.columns[0]!.values, ['say "hi"', 'two\nlines'])
    assert.deepEqual(Array.from(t.columns[1]!.values as Float64Array), [1, 2])
  })

  it('rejects an empty file', () => {
    assert.throws(() => parseCsv(''), /empty/)
    assert.throws(() => parseCsv('\n\n'), /empty/)
  })

  it('rejects a header without data rows', () => {
    assert.throws(() => parseCsv('a,b\n'), /no data rows/)
  })

  it('rejects a row of the wrong length naming its line', () => {
    assert.throws(() => parseCsv('a,b\n1,2\n3\n'), (err: Error) => err instanceof CsvError && /line 3 has 1 fields, expected 2/.test(err.message))
  })

  it('rejects a non-numeric value in a numeric column naming the line and column', () => {
    assert.throws(() => parseCsv('x,y\n1,2\n3,oops\n'), /line 3, column 'y': 'oops' is not a number/)
  })

  it('rejects duplicate column names', () => {
    assert.throws(() => parseCsv('a,a\n1,2\n'), /twice/)
  })
})
