import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { shuffledIndices, trainTestSplit } from './split.js'

describe('trainTestSplit', () => {
  it('gives the same split for the same seed and a different one for another seed', () => {
    const a = trainTestSplit(100, 0.2, 7)
    const b = trainTestSplit(100, 0.2, 7)
    const c = trainTestSplit(100, 0.2, 8)
    assert.deepEqual(a, b)
    assert.notDeepEqual(Array.from(a.test), Array.from(c.test))
  })

  it('puts ceil(n * testSize) rows in the test set and every row in exactly one set', () => {
    const s = trainTestSplit(101, 0.25, 1)
    assert.equal(s.test.length, 26)
    const all = [...s.train, ...s.test].sort((x, y) => x - y)
    assert.deepEqual(
      all,
      Array.from({ length: 101 }, (_, i) => i),
    )
  })

  it('rejects a test size outside (0, 1)', () => {
    assert.throws(() => trainTestSplit(10, 0, 1), /between 0 and 1/)
    assert.throws(() => trainTestSplit(10, 1, 1), /between 0 and 1/)
  })

  it('shuffles into a permutation', () => {
    assert.deepEqual(
      [...shuffledIndices(50, 3)].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i),
    )
  })
})
