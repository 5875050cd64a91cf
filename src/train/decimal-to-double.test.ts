import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRng } from './index.js'
import { scaleExact } from './decimal-to-double.js'

/**
 * A decimal's digits as the exact double-double mantissa the CSV reader forms (high + low), then
 * scaled: `convert("123.456", 2)` is 123.456e2.
 */
function convert(text: string, exponent = 0): number {
  const [whole, fraction = ''] = text.split('.')
  const mantissa = BigInt(whole! + fraction)
  const high = Number(mantissa)
  const low = Number(mantissa - BigInt(high)) // exact: below 2^11 for mantissas under 10^19
  return scaleExact(high, low, exponent - fraction.length)
}

const digits = (rng: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rng() * 10)).join('')

describe('scaleExact', () => {
  it('gives the double Number() gives for random decimals of 1 to 19 significant digits', () => {
    const rng = createRng(7)
    let decided = 0
    for (let i = 0; i < 200_000; i++) {
      const intDigits = Math.floor(rng() * 8)
      const fracDigits = 1 + Math.floor(rng() * (17 - Math.max(0, intDigits - 2)))
      const text = `${intDigits === 0 ? '0' : String(1 + Math.floor(rng() * 9)) + digits(rng, intDigits - 1)}.${digits(rng, fracDigits)}`
      const exponent = Math.floor(rng() * 11) - 5
      const got = convert(text, exponent)
      if (Number.isNaN(got)) continue
      decided++
      assert.equal(got, Number(`${text}e${exponent}`), `${text}e${exponent}`)
    }
    // Within 19 digits and 10^±22, undecided is the rare exception (too near a midpoint).
    assert.ok(decided > 199_900, `decided ${decided}`)
  })

  it('reads the shortest round-trip text of random doubles back to the same double', () => {
    const rng = createRng(11)
    for (let i = 0; i < 100_000; i++) {
      const value = (rng() - 0.5) * 10 ** Math.floor(rng() * 12 - 6)
      const text = Math.abs(value).toString()
      if (text.includes('e')) continue
      assert.equal(convert(text), Math.abs(value), text)
    }
  })

  it('leaves exact midpoints between doubles to V8 (ties round to even there)', () => {
    // 2^54 + 2 lies halfway between 2^54 and 2^54 + 4, as 9007199254740993 does between
    // 2^53 and 2^53 + 2; their neighbours are exact.
    assert.ok(Number.isNaN(convert('1801439850948198.6', 1)))
    assert.ok(Number.isNaN(convert('900719925474099.3', 1)))
    assert.equal(convert('1801439850948198.8', 1), 18014398509481988)
  })

  it('scales a mantissa split into two exact doubles, and refuses powers beyond 10^±22', () => {
    // 52925465486265116 = 529254654e8 + 86265116, two exact doubles; times 10^-18.
    const high = 529254654e8 + 86265116
    const low = 529254654e8 - (high - 86265116) + (86265116 - (high - 529254654e8))
    assert.equal(scaleExact(high, low, -18), 0.052925465486265116)
    assert.equal(scaleExact(123456789e8 + 12345678, 0, 5), 1.2345678912345677e21)
    assert.ok(Number.isNaN(scaleExact(1, 0, 23)))
    assert.ok(Number.isNaN(scaleExact(15, 0, -24)))
  })

  it('reads small integers and zero exactly', () => {
    assert.equal(convert('0.000'), 0)
    assert.equal(convert('4.2', 1), 42)
    assert.equal(convert('1234567890123456.0'), 1234567890123456)
  })
})
