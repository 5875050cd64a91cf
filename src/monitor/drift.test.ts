import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { binCounts, decileEdges, ksDistance, psi } from './drift.js'

const edges = [0, 1, 2, 3, 4]

describe('drift statistics', () => {
  it('gives a PSI of 0 for the same proportions, and the textbook sum for different ones', () => {
    assert.equal(psi([10, 20, 30, 40], [1, 2, 3, 4]), 0)
    const expected = (0.4 - 0.25) * Math.log(0.4 / 0.25) + (0.1 - 0.25) * Math.log(0.1 / 0.25) + 0 + 0
    assert.ok(Math.abs(psi([25, 25, 25, 25], [40, 10, 25, 25]) - expected) < 1e-12)
  })

  it('keeps PSI finite when a bin is empty on one side, and NaN without any value', () => {
    assert.ok(Number.isFinite(psi([50, 50, 0, 0], [0, 0, 50, 50])))
    assert.ok(psi([50, 50, 0, 0], [0, 0, 50, 50]) > 5)
    assert.ok(Number.isNaN(psi([1, 1, 1, 1], [0, 0, 0, 0])))
  })

  it('bins values as the profile does: the last bin takes its upper edge, values outside the range go to the end bins, NaN is skipped', () => {
    assert.deepEqual(binCounts(edges, [0, 0.5, 1, 3.99, 4, -7, 12, Number.NaN]), [3, 1, 0, 3])
  })

  it('measures the KS distance at the histogram edges, 0 for the training shape and the moved share for a shift', () => {
    const training = [25, 25, 25, 25]
    assert.equal(ksDistance(edges, training, [0.5, 1.5, 2.5, 3.5]), 0)
    // Every value moved one bin up: at each inner edge a quarter fewer values lie below.
    assert.equal(ksDistance(edges, training, [1.5, 2.5, 3.5, 3.6]), 0.25)
    // Entirely above the training maximum.
    assert.equal(ksDistance(edges, training, [9, 10]), 1)
  })

  it('stays exact for a two-valued feature (ties at the minimum)', () => {
    const twoValued = [60, 0, 0, 40]
    assert.equal(ksDistance(edges, twoValued, [...Array(6).fill(0), ...Array(4).fill(4)]), 0)
    assert.ok(Math.abs(ksDistance(edges, twoValued, [...Array(3).fill(0), ...Array(7).fill(4)]) - 0.3) < 1e-12)
  })

  it('builds decile edges open at both ends, without repeats', () => {
    const values = Array.from({ length: 100 }, (_, i) => i)
    const e = decileEdges(values)!
    assert.equal(e.length, 11)
    assert.equal(e[0], Number.NEGATIVE_INFINITY)
    assert.equal(e[10], Number.POSITIVE_INFINITY)
    assert.deepEqual(decileEdges([5, 5, 5]), [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY])
    assert.equal(decileEdges([]), undefined)
  })
})
