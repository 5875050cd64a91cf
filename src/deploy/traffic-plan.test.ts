import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { nextTraffic, validWeights } from './traffic-plan.js'

describe('traffic plans', () => {
  it('gives a plain deploy all the traffic and keeps a shadow of another version', () => {
    assert.deepEqual(nextTraffic({ weights: { 1: 100 }, shadow: { version: '3', percent: 10 } }, '2', '1', {}), {
      weights: { 2: 100 },
      shadow: { version: '3', percent: 10 },
    })
  })

  it('drops the shadow when its version becomes live', () => {
    assert.deepEqual(nextTraffic({ weights: { 1: 100 }, shadow: { version: '2', percent: 10 } }, '2', '1', {}), { weights: { 2: 100 }, shadow: undefined })
  })

  it('splits blue/green between the live version and the new one', () => {
    assert.deepEqual(nextTraffic({ weights: { 1: 100 } }, '2', '1', { weight: 10 }).weights, { 1: 90, 2: 10 })
  })

  it('refuses a shadow or a weight without another live version', () => {
    assert.throws(() => nextTraffic({ weights: {} }, '1', undefined, { shadowPercent: 10 }), /needs a live version/)
    assert.throws(() => nextTraffic({ weights: { 1: 100 } }, '1', '1', { weight: 10 }), /needs another live version/)
  })

  it('accepts weights of running versions that add up to 100, and names what is wrong otherwise', () => {
    assert.deepEqual(validWeights({ 1: 90, 2: 10 }, new Set(['1', '2'])), { 1: 90, 2: 10 })
    assert.throws(() => validWeights({ 1: 90, 2: 20 }, new Set(['1', '2'])), /add up to 100, got 110/)
    assert.throws(() => validWeights({ 1: 50, 9: 50 }, new Set(['1', '2'])), /version 9 is not running/)
    assert.throws(() => validWeights({ 1: 150, 2: -50 }, new Set(['1', '2'])), /weights\.1 must be a number from 0 to 100/)
  })
})
