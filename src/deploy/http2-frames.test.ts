import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FrameBoundaries, goawayFrame } from './http2-frames.js'

/** One frame: 9-byte header (length, type, flags, stream id), then `length` payload bytes. */
function frame(type: number, flags: number, streamId: number, length: number): Buffer {
  const f = Buffer.alloc(9 + length, 0xab)
  f.writeUIntBE(length, 0, 3)
  f[3] = type
  f[4] = flags
  f.writeUInt32BE(streamId, 5)
  return f
}
const DATA = 0x0
const HEADERS = 0x1
const SETTINGS = 0x4
const CONTINUATION = 0x9
const END_HEADERS = 0x4
const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** Feeds `bytes` in `size`-byte chunks, asking for a boundary from offset `from` on; the offset found, or -1. */
function firstBoundary(bytes: Buffer, size: number, from: number): number {
  const tracker = new FrameBoundaries()
  for (let start = 0; start < bytes.length; start += size) {
    const chunk = bytes.subarray(start, Math.min(start + size, bytes.length))
    const cut = Math.min(chunk.length, Math.max(0, from - start))
    tracker.feed(chunk.subarray(0, cut))
    if (cut === chunk.length) continue
    const at = tracker.feed(chunk.subarray(cut), true)
    if (at >= 0) return start + cut + at
  }
  return -1
}

describe('HTTP/2 frame boundaries beside a pipe', () => {
  const settings = frame(SETTINGS, 0, 0, 6)
  const data = frame(DATA, 0, 1, 20)
  // A header block in two frames: nothing may go between them.
  const headersOpen = frame(HEADERS, 0, 3, 10)
  const continuation = frame(CONTINUATION, END_HEADERS, 3, 5)
  const empty = frame(DATA, 0, 3, 0)
  const bytes = Buffer.concat([settings, data, headersOpen, continuation, empty])
  const afterSettings = settings.length
  const afterData = afterSettings + data.length
  const afterBlock = afterData + headersOpen.length + continuation.length

  it('offers the end of the frame under way, never inside a header block or before the first frame, however the bytes are chunked', () => {
    for (const size of [1, 2, 5, 9, 10, 16, 1000]) {
      const at = (from: number) => firstBoundary(bytes, size, from)
      assert.equal(at(0), afterSettings, `chunks of ${size}: not before the first frame`)
      assert.equal(at(3), afterSettings, `chunks of ${size}`)
      assert.equal(at(afterSettings), afterSettings, `chunks of ${size}: already at a boundary`)
      assert.equal(at(afterSettings + 4), afterData, `chunks of ${size}: inside a frame header`)
      assert.equal(at(afterData + 3), afterBlock, `chunks of ${size}: not between HEADERS and its CONTINUATION`)
      assert.equal(at(afterBlock + 2), bytes.length, `chunks of ${size}: after an empty frame`)
    }
  })

  it("names the highest stream the client's HEADERS opened, after the connection preface", () => {
    const tracker = new FrameBoundaries(true)
    const stream = Buffer.concat([
      preface,
      frame(SETTINGS, 0, 0, 0),
      frame(HEADERS, END_HEADERS, 1, 4),
      frame(HEADERS, END_HEADERS, 5, 4),
      frame(DATA, 0, 5, 3),
    ])
    for (let i = 0; i < stream.length; i += 7) tracker.feed(stream.subarray(i, i + 7))
    assert.equal(tracker.lastStreamId, 5)
    assert.equal(tracker.isBroken, false)
    assert.equal(tracker.isAtBoundary, true)
  })

  it('marks a client that does not start with the HTTP/2 preface', () => {
    const tracker = new FrameBoundaries(true)
    tracker.feed(Buffer.from('POST /v2/models/x/infer HTTP/1.1\r\n'))
    assert.equal(tracker.isBroken, true)
    assert.equal(tracker.isAtBoundary, false)
  })

  it('writes a GOAWAY frame with NO_ERROR and the last stream id', () => {
    assert.deepEqual([...goawayFrame(7)], [0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0])
  })
})
