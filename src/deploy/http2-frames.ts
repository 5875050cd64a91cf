/** The client connection preface (RFC 9113 §3.4), before the client's first frame. */
export const clientPreface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** The frame header (RFC 9113 §4.1), frame types (§6) and the flags this module and grpc-call-sampler.ts read. */
export const frameHeaderLength = 9
export const frameType = { data: 0x0, headers: 0x1, rstStream: 0x3, pushPromise: 0x5, goaway: 0x7, continuation: 0x9 } as const
export const frameFlag = { endStream: 0x1, endHeaders: 0x4, padded: 0x8, priority: 0x20 } as const

/**
 * Follows where frames start and end in one direction of an HTTP/2 connection that is piped as
 * bytes, so that a frame of the pipe's own (GOAWAY) can be put between two of the peer's. Only
 * frame headers are read. A header block (HEADERS or PUSH_PROMISE, then CONTINUATION frames until
 * END_HEADERS) may not be cut by another frame (RFC 9113 §6.10), so no boundary is offered inside
 * one; nor before the first frame, since a server's first frame must be its SETTINGS (§3.4).
 */
export class FrameBoundaries {
  /** Preface bytes still to come (the client's side only). */
  #preface: number
  readonly #header = Buffer.alloc(frameHeaderLength)
  #headerHave = 0
  /** Payload bytes of the current frame still to come. */
  #remaining = 0
  #inHeaderBlock = false
  #sawFrame = false
  #lastStreamId = 0
  #isBroken = false

  /** `isClient`: the client's side, which starts with the connection preface. */
  constructor(isClient = false) {
    this.#preface = isClient ? clientPreface.length : 0
  }

  /** The highest stream id a HEADERS frame opened so far: the streams the receiving side has been sent. */
  get lastStreamId(): number {
    return this.#lastStreamId
  }

  /** Whether the client's bytes did not start with the HTTP/2 preface: not HTTP/2, no frames to follow. */
  get isBroken(): boolean {
    return this.#isBroken
  }

  /** Whether a frame may be put here, after everything fed so far. */
  get isAtBoundary(): boolean {
    return !this.#isBroken && this.#preface === 0 && this.#headerHave === 0 && this.#remaining === 0 && !this.#inHeaderBlock && this.#sawFrame
  }

  /**
   * Takes the next chunk of the direction. Returns the first offset in it (0 to its length) where a
   * frame may be put, when `wantBoundary`; else, or when there is none in this chunk, -1.
   */
  feed(chunk: Buffer, wantBoundary = false): number {
    let found = wantBoundary && this.isAtBoundary ? 0 : -1
    let at = 0
    while (at < chunk.length && !this.#isBroken) {
      if (this.#preface > 0) {
        const n = Math.min(this.#preface, chunk.length - at)
        const from = clientPreface.length - this.#preface
        if (chunk.compare(clientPreface, from, from + n, at, at + n) !== 0) this.#isBroken = true
        this.#preface -= n
        at += n
      } else if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, chunk.length - at)
        this.#remaining -= n
        at += n
      } else {
        const n = Math.min(frameHeaderLength - this.#headerHave, chunk.length - at)
        chunk.copy(this.#header, this.#headerHave, at, at + n)
        this.#headerHave += n
        at += n
        if (this.#headerHave < frameHeaderLength) break
        this.#headerHave = 0
        this.#frame()
      }
      if (found === -1 && wantBoundary && this.isAtBoundary) found = at
    }
    return found
  }

  #frame(): void {
    const h = this.#header
    const length = h.readUIntBE(0, 3)
    const type = h[3]!
    const flags = h[4]!
    const streamId = h.readUInt32BE(5) & 0x7fffffff
    if (type === frameType.headers && streamId > this.#lastStreamId) this.#lastStreamId = streamId
    if (type === frameType.headers || type === frameType.pushPromise || type === frameType.continuation)
      this.#inHeaderBlock = (flags & frameFlag.endHeaders) === 0
    this.#remaining = length
    this.#sawFrame = true
  }
}

/**
 * A GOAWAY frame with NO_ERROR (RFC 9113 §6.8): the peer opens no new streams on the connection;
 * those up to `lastStreamId` finish, later ones are refused and a client retries them elsewhere.
 */
export function goawayFrame(lastStreamId: number): Buffer {
  const frame = Buffer.alloc(frameHeaderLength + 8)
  frame.writeUIntBE(8, 0, 3)
  frame[3] = frameType.goaway
  frame.writeUInt32BE(lastStreamId & 0x7fffffff, frameHeaderLength)
  // Error code 0 (NO_ERROR): already zero.
  return frame
}
