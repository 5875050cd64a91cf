/** The pyfunc worker's frames: a 4-byte big-endian length, then that many bytes of UTF-8 JSON. */
export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8')
  const head = Buffer.alloc(4)
  head.writeUInt32BE(body.length)
  return Buffer.concat([head, body])
}

/** Collects stream chunks and hands back each complete frame, however the chunks split them. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0)

  constructor(readonly maxFrameBytes: number) {}

  /** The frames completed by `chunk`, parsed; throws on a frame larger than the limit or not JSON. */
  push(chunk: Buffer): unknown[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    const frames: unknown[] = []
    while (this.#pending.length >= 4) {
      const size = this.#pending.readUInt32BE(0)
      if (size > this.maxFrameBytes) throw new Error(`the Python worker sent a frame of ${size} bytes, over the limit of ${this.maxFrameBytes}`)
      if (this.#pending.length < 4 + size) break
      frames.push(JSON.parse(this.#pending.toString('utf8', 4, 4 + size)))
      this.#pending = this.#pending.subarray(4 + size)
    }
    return frames
  }
}
