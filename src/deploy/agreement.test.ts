import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AgreementStats, comparePredictions, maxAgreementWindowMs } from './agreement.js'

describe('agreement between live and shadow answers', () => {
  it('compares regression values by mean absolute difference', () => {
    const c = comparePredictions({ predictions: [1.5, 2.0] }, { predictions: [1.0, 2.5] })
    assert.deepEqual(c, { rows: 2, labelRows: 0, labelsEqual: 0, valuePairs: 2, absDiffSum: 1 })
  })

  it('compares class labels and probabilities of object rows', () => {
    const c = comparePredictions(
      {
        predictions: [
          { label: 'a', probability_a: 0.9 },
          { label: 'b', probability_a: 0.2 },
        ],
      },
      {
        predictions: [
          { label: 'a', probability_a: 0.8 },
          { label: 'a', probability_a: 0.6 },
        ],
      },
    )
    assert.equal(c?.labelRows, 2)
    assert.equal(c?.labelsEqual, 1)
    assert.ok(Math.abs(c!.absDiffSum - 0.5) < 1e-12)
  })

  it('reads columnar predictions and bare lists', () => {
    assert.equal(comparePredictions({ predictions: { label: [0, 1] } }, [0, 0])?.labelsEqual, 1)
  })

  it('reports shares over all shadowed requests, and null where nothing was comparable', () => {
    const stats = new AgreementStats('1', '2')
    stats.add(comparePredictions({ predictions: [1, 2] }, { predictions: [1, 3] }), false)
    stats.add(undefined, true)
    assert.deepEqual(stats.report(), {
      liveVersion: '1',
      shadowVersion: '2',
      shadowedRequests: 2,
      shadowErrors: 1,
      comparedRows: 2,
      labelAgreement: 0.5,
      meanAbsoluteDifference: 0.5,
    })
    assert.equal(new AgreementStats().report().labelAgreement, null)
  })

  it('reports over a sliding window: only the requests that arrived since then, whatever came before', () => {
    const stats = new AgreementStats('1', '2')
    const at = (second: number) => Date.UTC(2026, 11, 7) + second * 1000
    const disagree = comparePredictions({ predictions: [0, 1] }, { predictions: [1, 0] })
    const agree = comparePredictions({ predictions: [0, 1] }, { predictions: [0, 1] })
    for (let s = 0; s < 10; s++) stats.add(disagree, false, at(s))
    for (let s = 100; s < 105; s++) stats.add(agree, s === 104, at(s) + 250)
    // A record harvested late goes in its own second.
    stats.add(disagree, false, at(50))
    assert.equal(stats.report().labelAgreement, 10 / 32)
    assert.deepEqual(stats.report(at(100)), {
      liveVersion: '1',
      shadowVersion: '2',
      shadowedRequests: 5,
      shadowErrors: 1,
      comparedRows: 10,
      labelAgreement: 1,
      meanAbsoluteDifference: 0,
    })
    assert.equal(stats.report(at(50)).shadowedRequests, 6)
    assert.equal(stats.report(at(200)).labelAgreement, null, 'nothing in the window')
  })

  it('keeps a day of per-second totals and no more', () => {
    const stats = new AgreementStats('1', '2')
    const disagree = comparePredictions({ predictions: [0] }, { predictions: [1] })
    stats.add(disagree, false, 0)
    stats.add(disagree, false, maxAgreementWindowMs + 2000)
    assert.equal(stats.report().shadowedRequests, 2, 'the running totals keep everything')
    assert.equal(stats.report(0).shadowedRequests, 1, 'the second older than a day is gone')
  })
})
