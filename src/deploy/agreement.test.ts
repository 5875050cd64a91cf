import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AgreementStats, comparePredictions } from './agreement.js'

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
})
