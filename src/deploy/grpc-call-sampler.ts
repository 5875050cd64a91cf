import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import HPACK from 'hpack'
import { inferCallAsJson } from '../serving/grpc/infer-json.js'
import { inferenceServicePath } from '../serving/grpc/inference-proto.js'
import { clientPreface, frameFlag, frameHeaderLength, frameType } from './http2-frames.js'
import type { PredictionTap } from './prediction-tap.js'

const inferPath = `${inferenceServicePath}/ModelInfer`
/** A sampled call whose request or answer grows past this is dropped from monitoring (it is still served). */
const maxSampledBody = 16 * 1024 * 1024

/** The HTTP status a gRPC status has on the HTTP routes (grpc-server.ts maps the other way), for monitoring's records. */
const httpStatusOf: Readonly<Record<string, number>> = { '0': 200, '3': 400, '5': 404, '7': 403, '8': 429, '12': 501, '14': 503, '16': 401 }

/** One call on a connection, kept while it is open; bodies only for the sampled ones. */
interface Call {
  readonly arrived: number
  readonly sampled: boolean
  readonly requestId: string | undefined
  readonly sent: Buffer[]
  readonly answered: Buffer[]
  size: number
}

/**
 * Samples ModelInfer calls off a gRPC connection that is piped as bytes, without touching the bytes:
 * it reads both directions' HTTP/2 frames beside the pipe. Every header block is decoded (HPACK's
 * dynamic table is shared by a connection's blocks, so skipping one would garble the next); DATA is
 * kept only for the calls the tap samples. A sampled call is handed to the tap when its trailers
 * arrive, on the next turn of the event loop, as the HTTP router does with a sampled request.
 *
 * Reading frames beside the pipe costs a fraction of terminating and re-originating HTTP/2 (an earlier
 * design proxied each call as two HTTP/2 streams: 0.65× the pipe's calls per second). Anything it
 * cannot read (a frame it does not expect, a header block HPACK refuses) ends the sampling of that
 * connection, never the connection: the bytes flow through the pipe whatever the reader makes of them.
 */
export function sampleGrpcCalls(client: Socket, upstream: Socket, tap: PredictionTap): void {
  const calls = new Map<number, Call>()
  const stop = () => {
    client.off('data', fromClient.push)
    upstream.off('data', fromUpstream.push)
    calls.clear()
  }
  const requests = new HPACK()
  const answers = new HPACK()
  const fromClient = new FrameReader(clientPreface.length, stop, (type, flags, streamId, payload, block) => {
    if (block !== undefined) {
      if (type === frameType.pushPromise) return
      const headers = headerMap(requests.decode(block))
      if (!calls.has(streamId)) {
        const path = headers.get(':path')
        const requestId = headers.get('x-request-id')
        calls.set(streamId, { arrived: Date.now(), sampled: path === inferPath && tap.shouldCapture(), requestId, sent: [], answered: [], size: 0 })
      }
      return
    }
    const call = calls.get(streamId)
    if (type === frameType.rstStream) calls.delete(streamId)
    else if (type === frameType.data && call?.sampled === true) keep(calls, streamId, call, call.sent, payload, flags)
  })
  const fromUpstream = new FrameReader(0, stop, (type, flags, streamId, payload, block) => {
    const call = calls.get(streamId)
    if (block !== undefined) {
      const headers = headerMap(answers.decode(block))
      // The trailers (or a trailers-only answer) end the call.
      if (call === undefined || (flags & frameFlag.endStream) === 0) return
      calls.delete(streamId)
      if (call.sampled) finish(tap, call, headers.get('grpc-status'))
      return
    }
    if (type === frameType.rstStream) calls.delete(streamId)
    else if (type === frameType.data && call?.sampled === true) keep(calls, streamId, call, call.answered, payload, flags)
  })
  client.on('data', fromClient.push)
  upstream.on('data', fromUpstream.push)
}

function keep(calls: Map<number, Call>, streamId: number, call: Call, into: Buffer[], payload: Buffer, flags: number): void {
  const data = withoutPadding(payload, flags)
  call.size += data.length
  // Copied: a slice would keep the socket's whole chunk alive until the call ends.
  if (call.size <= maxSampledBody) into.push(Buffer.from(data))
  else calls.set(streamId, { ...call, sampled: false, sent: [], answered: [] })
}

function finish(tap: PredictionTap, call: Call, grpcStatus: string | undefined): void {
  const status = httpStatusOf[grpcStatus ?? ''] ?? 500
  setImmediate(() => {
    const json = inferCallAsJson(Buffer.concat(call.sent), Buffer.concat(call.answered))
    // A failed call has no answer to decode: it is left out, as a request whose body is not JSON is.
    if (json === undefined) return
    tap.capture({
      time: call.arrived,
      requestId: call.requestId !== undefined && call.requestId !== '' ? call.requestId : String(json.request.id ?? randomUUID()),
      version: json.version,
      path: inferPath,
      status,
      request: Buffer.from(JSON.stringify(json.request)),
      response: Buffer.from(JSON.stringify(json.response)),
    })
  })
}

function headerMap(fields: readonly (readonly [string, string])[]): Map<string, string> {
  const map = new Map<string, string>()
  for (const [name, value] of fields) map.set(name, value)
  return map
}

function withoutPadding(payload: Buffer, flags: number): Buffer {
  if ((flags & frameFlag.padded) === 0) return payload
  const padding = payload[0] ?? 0
  return payload.subarray(1, payload.length - padding)
}

/** What a header block's frame carries before the block itself: padding length and priority fields. */
function headerBlockOf(type: number, flags: number, payload: Buffer): Buffer {
  let start = 0
  let end = payload.length
  if ((flags & frameFlag.padded) !== 0) {
    start = 1
    end -= payload[0] ?? 0
  }
  if (type === frameType.headers && (flags & frameFlag.priority) !== 0) start += 5
  if (type === frameType.pushPromise) start += 4
  if (start > end) throw new Error('a header frame shorter than its own fields')
  return payload.subarray(start, end)
}

type FrameHandler = (type: number, flags: number, streamId: number, payload: Buffer, block: Buffer | undefined) => void

/**
 * Splits one direction of an HTTP/2 connection into frames, across the socket's chunks: a frame's
 * header (9 bytes) and the payloads the handler needs; a header block split into CONTINUATION frames
 * is handed over whole. `skip` is the client preface's length on the client's side.
 */
class FrameReader {
  #pending: Buffer | undefined
  #skip: number
  #block: { type: number; flags: number; streamId: number; parts: Buffer[] } | undefined
  #stopped = false

  constructor(
    skip: number,
    private readonly onError: () => void,
    private readonly handle: FrameHandler,
  ) {
    this.#skip = skip
  }

  readonly push = (chunk: Buffer): void => {
    if (this.#stopped) return
    try {
      this.#read(chunk)
    } catch {
      this.#stopped = true
      this.onError()
    }
  }

  #read(chunk: Buffer): void {
    let buffer = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk])
    this.#pending = undefined
    if (this.#skip > 0) {
      const skipped = Math.min(this.#skip, buffer.length)
      this.#skip -= skipped
      buffer = buffer.subarray(skipped)
    }
    let at = 0
    while (buffer.length - at >= frameHeaderLength) {
      const length = buffer.readUIntBE(at, 3)
      if (buffer.length - at < frameHeaderLength + length) break
      const type = buffer[at + 3] as number
      const flags = buffer[at + 4] as number
      const streamId = buffer.readUInt32BE(at + 5) & 0x7fffffff
      this.#frame(type, flags, streamId, buffer.subarray(at + frameHeaderLength, at + frameHeaderLength + length))
      at += frameHeaderLength + length
    }
    if (at < buffer.length) this.#pending = Buffer.from(buffer.subarray(at))
  }

  #frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.#block !== undefined) {
      // A header block's CONTINUATION frames follow it with nothing in between (RFC 9113 §6.10).
      if (type !== frameType.continuation || streamId !== this.#block.streamId) throw new Error('a header block cut by another frame')
      this.#block.parts.push(payload)
      if ((flags & frameFlag.endHeaders) !== 0) {
        const { type: first, flags: firstFlags, parts } = this.#block
        this.#block = undefined
        this.handle(first, firstFlags, streamId, Buffer.alloc(0), Buffer.concat(parts))
      }
      return
    }
    if (type === frameType.headers || type === frameType.pushPromise) {
      const block = headerBlockOf(type, flags, payload)
      if ((flags & frameFlag.endHeaders) !== 0) this.handle(type, flags, streamId, payload, block)
      else this.#block = { type, flags, streamId, parts: [block] }
      return
    }
    if (type === frameType.continuation) throw new Error('a CONTINUATION frame without a header block')
    this.handle(type, flags, streamId, payload, undefined)
  }
}
