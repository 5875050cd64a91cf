import { randomUUID } from 'node:crypto'
import { type ClientHttp2Session, constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import { inferCallAsJson } from '../serving/grpc/infer-json.js'
import { inferenceServicePath } from '../serving/grpc/inference-proto.js'
import type { PredictionTap } from './prediction-tap.js'

const inferPath = `${inferenceServicePath}/ModelInfer`

/** The HTTP status a gRPC status has on the HTTP routes (grpc-server.ts maps the other way), for monitoring's records. */
const httpStatusOf: Readonly<Record<string, number>> = { '0': 200, '3': 400, '5': 404, '7': 403, '8': 429, '12': 501, '14': 503, '16': 401 }

/** What a client sees when no version is live, or the live one cannot be reached: UNAVAILABLE, which it retries. */
export function unavailable(stream: ServerHttp2Stream, message: string): void {
  if (stream.destroyed || stream.closed) return
  if (!stream.headersSent)
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14', 'grpc-message': encodeURIComponent(message) },
      { endStream: true },
    )
  else stream.close(constants.NGHTTP2_CANCEL)
}

/**
 * Passes one gRPC call (an HTTP/2 stream) to the live version's session: headers, messages and
 * trailers both ways, with flow control (pipe). A ModelInfer call that the tap samples is also kept
 * whole, both ways, and handed to the tap after its trailers were sent, as the HTTP router does with
 * a sampled request: decoded into the KServe V2 JSON of the same call on the next turn of the event
 * loop, off the call's path.
 */
export function proxyGrpcStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, upstream: ClientHttp2Session, tap: PredictionTap | undefined): void {
  const arrived = Date.now()
  const path = String(headers[':path'] ?? '')
  const isSampled = tap !== undefined && path === inferPath && tap.shouldCapture()
  const forwarded: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (name !== ':authority' && value !== undefined) forwarded[name] = value
  let up: ReturnType<ClientHttp2Session['request']>
  try {
    up = upstream.request(forwarded)
  } catch (err) {
    unavailable(stream, `the live version cannot be reached: ${(err as Error).message}`)
    return
  }
  const sent: Buffer[] = []
  const answered: Buffer[] = []
  let trailers: IncomingHttpHeaders | undefined
  if (isSampled) {
    stream.on('data', (c: Buffer) => sent.push(c))
    up.on('data', (c: Buffer) => answered.push(c))
  }
  stream.pipe(up)
  up.on('response', (responseHeaders, flags) => {
    const response = withoutPseudo(responseHeaders)
    // A trailers-only answer (an error before any message) ends in its headers.
    if ((flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
      trailers = responseHeaders
      stream.respond({ ':status': responseHeaders[':status'] ?? 200, ...response }, { endStream: true })
      return
    }
    stream.respond({ ':status': responseHeaders[':status'] ?? 200, ...response }, { waitForTrailers: true })
    up.pipe(stream)
  })
  up.on('trailers', (t) => (trailers = t))
  stream.on('wantTrailers', () =>
    stream.sendTrailers(withoutPseudo(trailers ?? { 'grpc-status': '13', 'grpc-message': 'the live version ended the call without a status' })),
  )
  up.on('error', (err) => unavailable(stream, `the live version failed the call: ${err.message}`))
  stream.on('error', () => up.close(constants.NGHTTP2_CANCEL))
  stream.on('close', () => {
    if (!up.closed) up.close(constants.NGHTTP2_CANCEL)
    if (!isSampled || trailers === undefined) return
    const status = httpStatusOf[String(trailers['grpc-status'] ?? '')] ?? 500
    const metadataId = headers['x-request-id']
    setImmediate(() => {
      const call = inferCallAsJson(Buffer.concat(sent), Buffer.concat(answered))
      // A failed call has no answer to decode: it is left out, as a request whose body is not JSON is.
      if (call === undefined) return
      tap.capture({
        time: arrived,
        requestId: typeof metadataId === 'string' && metadataId !== '' ? metadataId : String(call.request.id ?? randomUUID()),
        version: call.version,
        path,
        status,
        request: Buffer.from(JSON.stringify(call.request)),
        response: Buffer.from(JSON.stringify(call.response)),
      })
    })
  })
}

function withoutPseudo(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':') && value !== undefined) out[name] = value
  return out
}
