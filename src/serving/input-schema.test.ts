import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ColumnScratch, InputSchema } from './input-schema.js'
import { NumericSplitReader } from './split-json.js'

const schema = new InputSchema([
  { name: 'x', type: 'double', kind: 'number', required: true },
  { name: 'n', type: 'long', kind: 'integer', required: true },
  { name: 'c', type: 'string', kind: 'string', required: false },
])

describe('InputSchema', () => {
  it('turns split rows in any column order into typed columns in schema order', () => {
    const b = schema.fromSplit(
      ['n', 'x'],
      [
        [1, 0.5],
        [2, null],
      ],
    )
    assert.equal(b.rowCount, 2)
    assert.deepEqual(Array.from(b.columns[0] as Float64Array), [0.5, Number.NaN])
    assert.deepEqual(b.columns[1], [1, 2])
    assert.deepEqual(b.columns[2], [null, null])
  })

  it('names a missing required column, an unexpected column and a duplicate', () => {
    assert.throws(() => schema.fromSplit(['x'], [[1]]), /missing column 'n' \(long\)/)
    assert.throws(() => schema.fromSplit(['x', 'n', 'zz'], [[1, 2, 3]]), /unexpected column 'zz'/)
    assert.throws(() => schema.fromSplit(['x', 'n', 'x'], [[1, 2, 3]]), /column 'x' is given twice/)
    assert.throws(() => schema.fromRecords([{ x: 1 }]), /missing column 'n'/)
    assert.throws(() => schema.fromRecords([{ x: 1, n: 1, q: 2 }]), /unexpected column 'q'/)
  })

  it('names the column and row of a value of the wrong type', () => {
    assert.throws(
      () =>
        schema.fromSplit(
          ['x', 'n'],
          [
            [1, 2],
            ['a', 2],
          ],
        ),
      /column 'x' expects double, got string "a" \(row 1\)/,
    )
    assert.throws(() => schema.fromSplit(['x', 'n'], [[1, 2.5]]), /column 'n' expects long, got number 2.5/)
    assert.throws(() => schema.fromRecords([{ x: 1, n: 1, c: 5 }]), /column 'c' expects string, got number/)
    assert.throws(() => schema.fromRecords([{ x: [1], n: 1 }]), /column 'x' expects double, got array/)
  })

  it('refuses rows of the wrong shape and an empty batch', () => {
    assert.throws(() => schema.fromSplit(['x', 'n'], [[1]]), /row 0 has 1 values, expected 2/)
    assert.throws(() => schema.fromSplit(['x', 'n'], [5]), /row 0 must be a list/)
    assert.throws(() => schema.fromSplit(['x', 'n'], []), /empty batch/)
    assert.throws(() => schema.fromSplit('x', [[1]]), /'columns', a list/)
    assert.throws(() => schema.fromColumnMap({ x: [1, 2], n: [1] }), /column 'n' has 1 values, expected 2/)
    assert.throws(() => schema.fromRecords([]), /empty batch/)
  })

  it('reads columnar input and positional rows', () => {
    assert.deepEqual(schema.fromColumnMap({ x: [1, 2], n: [3, 4] }).columns[1], [3, 4])
    assert.deepEqual(Array.from(schema.fromRows([[1, 2, 'a']]).columns[0] as Float64Array), [1])
  })

  it("reads numeric splits into reused scratch columns, each request's rows complete, big batches apart", () => {
    const numeric = new InputSchema([
      { name: 'a', type: 'double', kind: 'number', required: true },
      { name: 'b', type: 'double', kind: 'number', required: false },
    ])
    const reader = new NumericSplitReader()
    const read = (body: object) => reader.read(Buffer.from(JSON.stringify({ dataframe_split: body })))!
    const scratch = new ColumnScratch(3)
    const three = numeric.fromNumericSplit(
      read({
        columns: ['b', 'a'],
        data: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      }),
      scratch,
    )
    assert.deepEqual(
      three.columns.map((c) => Array.from(c as Float64Array).slice(0, 3)),
      [
        [2, 4, 6],
        [1, 3, 5],
      ],
    )
    // A smaller request after it: same arrays, its row written in full (the absent optional column is null).
    const one = numeric.fromNumericSplit(read({ columns: ['a'], data: [[7]] }), scratch)
    assert.equal(one.rowCount, 1)
    assert.equal(one.columns[0], three.columns[0])
    assert.deepEqual([one.columns[0]![0], one.columns[1]![0]], [7, Number.NaN])
    assert.deepEqual(
      one.columns.map((c) => (c as Float64Array)[0]),
      numeric.fromSplit(['a'], [[7]]).columns.map((c) => (c as Float64Array)[0]),
    )
    // Past maxRows the batch has arrays of its own, exactly its size, and the scratch is left as it was.
    const four = numeric.fromNumericSplit(
      read({
        columns: ['a', 'b'],
        data: [
          [1, 1],
          [2, 2],
          [3, 3],
          [4, 4],
        ],
      }),
      scratch,
    )
    assert.notEqual(four.columns[0], three.columns[0])
    assert.equal((four.columns[0] as Float64Array).length, 4)
    assert.equal(numeric.fromNumericSplit(read({ columns: ['a'], data: [[8]] }), scratch).columns[0], three.columns[0])
    assert.throws(() => numeric.fromNumericSplit(read({ columns: ['a'], data: [] }), scratch), /empty batch/)
  })
})
