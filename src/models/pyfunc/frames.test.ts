import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeFrame, FrameReader } from './frames.js'

describe('pyfunc worker frames', () => {
  it('reads frames however the stream splits them, byte by byte or several in one chunk', () => {
    const messages = [{ id: 1, outputs: [] }, { ready: true, text: 'é ✓' }, { id: 2 }]
    const stream = Buffer.concat(messages.map(encodeFrame))
    const whole = new FrameReader(1024).push(stream)
    assert.deepEqual(whole, messages)
    const reader = new FrameReader(1024)
    const got: unknown[] = []
    for (let i = 0; i < stream.length; i++) got.push(...reader.push(stream.subarray(i, i + 1)))
    assert.deepEqual(got, messages)
  })

  it('refuses a frame over the limit', () => {
    assert.throws(() => new FrameReader(8).push(encodeFrame({ long: 'x'.repeat(20) })), /frame of 31 bytes, over the limit of 8/)
  })
})
