import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { accuracy, binaryRocAuc, f1, logLoss, mae, r2, rmse, rocAuc } from './metrics.js'

describe('metrics', () => {
  it('computes rmse, mae and r2 as scikit-learn does', () => {
    const y = [3, -0.5, 2, 7]
    const p = [2.5, 0.0, 2, 8]
    assert.ok(Math.abs(rmse(y, p) - Math.sqrt(0.375)) < 1e-12)
    assert.equal(mae(y, p), 0.5)
    assert.ok(Math.abs(r2(y, p) - 0.9486081370449679) < 1e-12)
  })

  it('computes accuracy and binary and macro f1', () => {
    assert.equal(accuracy([0, 1, 1, 0], [0, 1, 0, 0]), 0.75)
    assert.ok(Math.abs(f1([0, 1, 1, 0], [0, 1, 0, 0], 2) - 2 / 3) < 1e-12)
    // sklearn f1_score([0,1,2,0,1,2],[0,2,1,0,0,1], average='macro') = 0.26666...
    assert.ok(Math.abs(f1([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], 3) - 0.26666666666666666) < 1e-12)
  })

  it('computes log loss from row-major probabilities', () => {
    // sklearn log_loss([0,1,1,0], [[.9,.1],[.1,.9],[.2,.8],[.65,.35]]) = 0.21616187468057912
    assert.ok(Math.abs(logLoss([0, 1, 1, 0], [0.9, 0.1, 0.1, 0.9, 0.2, 0.8, 0.65, 0.35], 2) - 0.21616187468057912) < 1e-12)
  })

  it('counts ties as half in the ROC AUC', () => {
    assert.equal(binaryRocAuc([false, false, true, true], [0.1, 0.4, 0.35, 0.8]), 0.75)
    assert.equal(binaryRocAuc([false, true], [0.5, 0.5]), 0.5)
  })

  it('averages one-vs-rest AUCs for multiclass', () => {
    const proba = [0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8]
    assert.equal(rocAuc([0, 1, 2], proba, 3), 1)
  })
})
