import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCsv } from './csv.js'
import { profileTable } from './profile.js'

describe('profileTable', () => {
  it('summarises numeric and string columns and counts missing values', () => {
    const p = profileTable(parseCsv('x,c\n1,a\n2,b\n3,a\n4,\n,a\n'))
    const x = p.columns[0]!
    assert.equal(x.type, 'numeric')
    if (x.type !== 'numeric') return
    assert.equal(x.count, 4)
    assert.equal(x.missing, 1)
    assert.equal(x.mean, 2.5)
    assert.equal(x.min, 1)
    assert.equal(x.max, 4)
    assert.equal(x.quantiles!.p50, 2.5)
    assert.equal(
      x.histogram!.counts.reduce((a, b) => a + b, 0),
      4,
    )
    const c = p.columns[1]!
    assert.equal(c.type, 'string')
    if (c.type !== 'string') return
    assert.deepEqual(c.top[0], { value: 'a', count: 3 })
    assert.equal(c.missing, 1)
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(p)))
  })
})
