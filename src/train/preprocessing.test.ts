import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fitPreprocessing, fitTransformColumns, meanOf, transform } from './preprocessing.js'
import type { Table } from './table.js'

const table: Table = {
  rowCount: 4,
  columns: [
    { name: 'a', kind: 'numeric', values: Float64Array.from([1, 2, 3, 4]) },
    { name: 'b', kind: 'numeric', values: Float64Array.from([1, Number.NaN, 3, 5]) },
    { name: 'c', kind: 'string', values: ['x', 'y', null, 'x'] },
  ],
}

describe('fitTransformColumns', () => {
  it('holds the same values as transform, column by column', () => {
    for (const options of [
      { standardize: false, impute: true },
      { standardize: true, impute: true },
    ]) {
      const { pre, X: columns } = fitTransformColumns(table, options)
      assert.deepEqual(pre, fitPreprocessing(table, options))
      const matrix = transform(pre, table)
      assert.equal(columns.cols, matrix.cols)
      for (let j = 0; j < matrix.cols; j++) {
        assert.deepEqual(Array.from(columns.columns[j]!), Array.from(matrix.data.subarray(j * 4, (j + 1) * 4)))
        assert.equal(columns.means![j], meanOf(columns.columns[j]!))
      }
    }
  })

  it('reuses a numeric column that needs no change instead of copying it', () => {
    const { X: columns } = fitTransformColumns(table, { standardize: false, impute: true })
    assert.equal(columns.columns[0], table.columns[0]!.values)
    assert.notEqual(columns.columns[1], table.columns[1]!.values) // has a missing value to impute
    assert.deepEqual(Array.from(columns.columns[1]!), [1, 3, 3, 5])
  })
})
