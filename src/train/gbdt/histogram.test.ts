import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRng } from '../split.js'
import { binCounts, buildHistogram, histogramSize, packBins } from './histogram.js'

/** Random column-major bins, gradients, hessians, and a sorted subset of rows as a leaf. */
function fixture(rows: number, features: number, binCount: number) {
  const rng = createRng(11)
  const binsByFeature = Uint8Array.from({ length: rows * features }, () => Math.floor(rng() * binCount))
  const gradients = Float64Array.from({ length: rows }, () => rng() - 0.5)
  const hessians = Float64Array.from({ length: rows }, () => rng() * 0.25)
  const order = Uint32Array.from(Array.from({ length: rows }, (_, i) => i).filter(() => rng() < 0.6))
  return { binsByFeature, gradients, hessians, order }
}

/** One (row, feature) at a time, straight from the column-major bins. */
function naiveHistogram(
  binsByFeature: Uint8Array,
  rows: number,
  features: number,
  binCount: number,
  order: Uint32Array,
  start: number,
  end: number,
  g: Float64Array,
  h: Float64Array | undefined,
): number[][] {
  const out = Array.from({ length: features * binCount }, () => [0, 0, 0])
  for (let i = start; i < end; i++) {
    const row = order[i]!
    for (let f = 0; f < features; f++) {
      const cell = out[f * binCount + binsByFeature[f * rows + row]!]!
      cell[0]! += g[row]!
      cell[1]! += h === undefined ? 1 : h[row]!
      cell[2]! += 1
    }
  }
  return out
}

describe('buildHistogram', () => {
  const rows = 1003
  const binCount = 17
  for (const features of [1, 4, 7]) {
    it(`matches a naive per-cell loop with gradients, hessians and counts (${features} features)`, () => {
      const { binsByFeature, gradients, hessians, order } = fixture(rows, features, binCount)
      const packed = packBins(binsByFeature, rows, features)
      const hist = new Float64Array(histogramSize(packed, binCount, 3)).fill(42) // stale values are cleared
      buildHistogram(hist, packed, binCount, order, 5, order.length - 3, gradients, hessians)
      const expected = naiveHistogram(binsByFeature, rows, features, binCount, order, 5, order.length - 3, gradients, hessians)
      for (let c = 0; c < expected.length; c++) assert.deepEqual(Array.from(hist.subarray(c * 3, c * 3 + 3)), expected[c])
    })

    it(`matches a naive per-cell loop with all-one hessians in two slots (${features} features)`, () => {
      const { binsByFeature, gradients, order } = fixture(rows, features, binCount)
      const packed = packBins(binsByFeature, rows, features)
      const hist = new Float64Array(histogramSize(packed, binCount, 2))
      buildHistogram(hist, packed, binCount, order, 0, order.length, gradients, undefined)
      const expected = naiveHistogram(binsByFeature, rows, features, binCount, order, 0, order.length, gradients, undefined)
      for (let c = 0; c < expected.length; c++) assert.deepEqual(Array.from(hist.subarray(c * 2, c * 2 + 2)), [expected[c]![0], expected[c]![2]])
    })
  }

  for (const width of [2, 3] as const) {
    it(`gives the same histogram when the counts are known in advance (width ${width})`, () => {
      const { binsByFeature, gradients, hessians, order } = fixture(rows, 7, binCount)
      const packed = packBins(binsByFeature, rows, 7)
      const h = width === 3 ? hessians : undefined
      const counted = new Float64Array(histogramSize(packed, binCount, width))
      buildHistogram(counted, packed, binCount, order, 0, order.length, gradients, h)
      const given = new Float64Array(counted.length)
      buildHistogram(
        given,
        packed,
        binCount,
        order,
        0,
        order.length,
        gradients.map((g) => -g),
        h,
        binCounts(counted, width),
      )
      // Negated gradients sum to exactly the negated sums (rounding is symmetric); 0 - x keeps empty bins at +0.
      for (let k = 0; k < counted.length; k++) assert.equal(given[k], k % width === 0 ? 0 - counted[k]! : counted[k])
    })
  }

  it('packs bin 255 (the missing-value bin) without sign trouble', () => {
    const packed = packBins(Uint8Array.from([255, 255, 255, 255, 0, 255]), 1, 6)
    assert.deepEqual(Array.from(packed.words), [0xffffffff, 0x0000ff00])
  })
})
