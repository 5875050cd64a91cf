import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NativeEvaluator } from './native-evaluator.js'
import { wharfModelFormat, type Link, type WharfModelSpec } from './wharf-model.js'

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function linearSpec(rand: () => number, link: Link, outputs: number, features: number): WharfModelSpec {
  const classes = link === 'identity' ? undefined : link === 'logistic' ? [0, 1] : Array.from({ length: outputs }, (_, k) => `c${k}`)
  return {
    format: wharfModelFormat,
    algorithm: link === 'identity' ? 'elasticnet' : 'logistic',
    columns: Array.from({ length: features }, (_, j) => ({
      name: `x${j}`,
      kind: 'numeric' as const,
      impute: j % 3 === 0 ? null : rand() * 10 - 5,
      center: rand() * 4 - 2,
      scale: 0.1 + rand() * 3,
    })),
    link,
    outputs,
    classes,
    estimator: {
      kind: 'linear',
      coef: Array.from({ length: outputs * features }, () => rand() * 20 - 10),
      intercept: Array.from({ length: outputs }, () => rand() * 100 - 50),
    },
  }
}

describe('NativeEvaluator', () => {
  it('scores typed numeric columns of a linear model column by column to the same doubles as row by row', () => {
    const rand = random(7)
    for (const [link, outputs] of [
      ['identity', 1],
      ['logistic', 1],
      ['softmax', 3],
    ] as const) {
      const spec = linearSpec(rand, link, outputs, 10)
      const evaluator = new NativeEvaluator(spec)
      for (const n of [1, 7, 1000]) {
        // Values of every magnitude, and missing ones (NaN) in imputed and non-imputed columns.
        const typed = spec.columns.map(() =>
          Float64Array.from({ length: n }, () => (rand() < 0.05 ? Number.NaN : (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 6))),
        )
        const columnar = new Float64Array(n * evaluator.width)
        evaluator.evaluate(typed, n, columnar)
        // Plain arrays take the row-by-row path.
        const rowwise = new Float64Array(n * evaluator.width)
        evaluator.evaluate(
          typed.map((c) => Array.from(c)),
          n,
          rowwise,
        )
        for (let i = 0; i < rowwise.length; i++)
          assert.ok(Object.is(columnar[i], rowwise[i]), `${link}, ${n} rows, value ${i}: ${columnar[i]} vs ${rowwise[i]}`)
        // Spot check against the formula itself, for the regression.
        if (link === 'identity') {
          const est = spec.estimator
          assert.equal(est.kind, 'linear')
          if (est.kind !== 'linear') return
          let z = est.intercept[0]!
          spec.columns.forEach((c, j) => {
            if (c.kind !== 'numeric') return
            let v = typed[j]![0]!
            if (Number.isNaN(v) && c.impute !== null) v = c.impute
            z += est.coef[j]! * ((v - c.center) / c.scale)
          })
          assert.ok(Object.is(columnar[0], z))
        }
      }
    }
  })
})
