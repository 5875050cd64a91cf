import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCsv } from './csv.js'
import { createRng } from './split.js'
import { encodeTarget, evaluateModel, trainModel } from './trainer.js'

/** A small mixed table: numeric x1 with gaps, string colour, numeric y and class columns. */
function mixedTable(n = 240) {
  const rng = createRng(11)
  const colours = ['red', 'green', 'blue']
  const lines = ['x1,colour,x2,y,cls,name']
  for (let i = 0; i < n; i++) {
    const x1 = rng() * 4 - 2
    const colour = colours[i % 3]!
    const x2 = rng()
    const y = 3 * x1 + (colour === 'red' ? 2 : colour === 'green' ? -1 : 0) + 0.1 * rng()
    const cls = y > 1 ? 'high' : y > -1 ? 'mid' : 'low'
    lines.push(`${i % 17 === 0 ? '' : x1.toFixed(4)},${colour},${x2.toFixed(4)},${y.toFixed(4)},${cls},${i % 2 ? 'a' : 'b'}`)
  }
  return parseCsv(lines.join('\n'))
}

describe('trainModel', () => {
  const table = mixedTable()
  const withoutClass = { columns: table.columns.filter((c) => c.name !== 'cls'), rowCount: table.rowCount }
  const withoutY = { columns: table.columns.filter((c) => c.name !== 'y'), rowCount: table.rowCount }

  for (const algorithm of ['ols', 'ridge', 'lasso', 'elasticnet']) {
    it(`fits ${algorithm} with one-hot and imputation learned from the data`, () => {
      const m = trainModel(withoutClass, 'y', { algorithm, params: algorithm === 'ols' || algorithm === 'ridge' ? [] : ['alpha=0.001'] })
      assert.equal(m.task, 'regression')
      assert.deepEqual(
        m.spec.columns.map((c) => c.kind),
        ['numeric', 'string', 'numeric', 'string'],
      )
      assert.ok(evaluateModel(m.spec, withoutClass, 'y')['r2']! > 0.9)
    })
  }

  it('fits multinomial logistic regression on string labels', () => {
    const m = trainModel(withoutY, 'cls', { algorithm: 'logistic', params: ['C=10'] })
    assert.deepEqual(m.spec.classes, ['high', 'low', 'mid'])
    assert.equal(m.spec.link, 'softmax')
    assert.ok(evaluateModel(m.spec, withoutY, 'cls')['accuracy']! > 0.85)
  })

  it('fits gradient-boosted trees for regression and classification', () => {
    const reg = trainModel(withoutClass, 'y', { algorithm: 'gbdt', params: ['max_iter=30'] })
    assert.equal(reg.task, 'regression')
    assert.ok(evaluateModel(reg.spec, withoutClass, 'y')['r2']! > 0.8)
    const cls = trainModel(withoutY, 'cls', { algorithm: 'gbdt', params: ['max_iter=30'] })
    assert.equal(cls.task, 'classification')
    assert.ok(evaluateModel(cls.spec, withoutY, 'cls')['accuracy']! > 0.8)
  })

  it('explains a missing target column and a string target for regression', () => {
    assert.throws(() => trainModel(table, 'nope', { algorithm: 'ols' }), /column 'nope' is not in the data/)
    assert.throws(() => trainModel(table, 'cls', { algorithm: 'ridge' }), /holds strings/)
  })

  it('refuses a classification target with a single class', () => {
    const t = parseCsv('x,y\n1,a\n2,a\n3,a\n')
    assert.throws(() => trainModel(t, 'y', { algorithm: 'logistic' }), /single class/)
  })
})

describe('encodeTarget', () => {
  it('encodes numeric labels as indices of the sorted distinct labels', () => {
    const { y, classes } = encodeTarget({ name: 'y', kind: 'numeric', values: Float64Array.from([3, -1, 7, 3, 3, -1]) }, 'classification')
    assert.deepEqual(classes, [-1, 3, 7])
    assert.deepEqual(Array.from(y), [1, 0, 2, 1, 1, 0])
  })

  it('reports a missing label before a non-integer one', () => {
    const target = { name: 'y', kind: 'numeric', values: Float64Array.from([1, 1.5, Number.NaN]) } as const
    assert.throws(() => encodeTarget(target, 'classification'), /empty in data row 3/)
    assert.throws(() => encodeTarget({ ...target, values: Float64Array.from([1, 1, 1.5]) }, 'classification'), /non-integer/)
  })
})
