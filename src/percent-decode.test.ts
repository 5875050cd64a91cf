import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodePercentFully, maxDecodePasses } from './percent-decode.js'

describe('decodePercentFully', () => {
  it('returns every form from as sent to fully decoded', () => {
    assert.deepEqual(decodePercentFully('a%252Fb'), { forms: ['a%252Fb', 'a%2Fb', 'a/b'] })
    assert.deepEqual(decodePercentFully('plain'), { forms: ['plain'] })
  })

  it('refuses a malformed escape', () => {
    for (const text of ['%zz', '%', 'a%2', '%c0%ae']) assert.deepEqual(decodePercentFully(text), { refused: 'malformed' }, text)
  })

  it('decodes text encoded one time fewer than the pass limit, and refuses text encoded as many times', () => {
    const encoded = (times: number) => `a%${'25'.repeat(times - 1)}41`
    assert.equal((decodePercentFully(encoded(maxDecodePasses - 1)) as { forms: string[] }).forms.at(-1), 'aA')
    assert.deepEqual(decodePercentFully(encoded(maxDecodePasses)), { refused: 'too-deep' })
  })
})
