import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { resolveParams } from './params.js'

describe('resolveParams', () => {
  it('fills scikit-learn defaults and parses typed overrides', () => {
    const p = resolveParams('elasticnet', ['alpha=0.1', 'standardize=true'])
    assert.equal(p['alpha'], 0.1)
    assert.equal(p['l1_ratio'], 0.5)
    assert.equal(p['tol'], 1e-4)
    assert.equal(p['standardize'], true)
    assert.equal(resolveParams('gbdt', ['max_depth=none'])['max_depth'], null)
  })

  it('rejects an unknown model, an unknown key and a malformed pair', () => {
    assert.throws(() => resolveParams('svm', []), /unknown model 'svm'/)
    assert.throws(() => resolveParams('ridge', ['beta=1']), /unknown parameter 'beta' for ridge/)
    assert.throws(() => resolveParams('ridge', ['alpha']), /key=value/)
  })

  it('rejects values of the wrong type or out of range', () => {
    assert.throws(() => resolveParams('gbdt', ['max_iter=1.5']), /integer/)
    assert.throws(() => resolveParams('gbdt', ['learning_rate=abc']), /number/)
    assert.throws(() => resolveParams('elasticnet', ['l1_ratio=2']), /between 0 and 1/)
    assert.throws(() => resolveParams('gbdt', ['max_bins=300']), /between 2 and 255/)
  })
})
