import type { IncomingMessage } from 'node:http'
import { Readable, Transform } from 'node:stream'
import type { Context } from 'hono'
import { invalidParameter, payloadTooLarge } from '../errors.js'
import type { AppEnv } from './app-env.js'

// log-inputs may carry a 16 MB dataset profile (MLflow's limit) plus its JSON overhead.
export const maxJsonBytes = 20 * 1024 * 1024
// MLflow's messages nest a few levels; a deeper body is an attack on whatever walks it recursively.
const maxJsonDepth = 64
// How long a refused body may keep arriving (and be thrown away) before the connection is closed.
const lingerMs = 2000

/**
 * The one rule for every body the server reads (issue #12): a declared Content-Length over the
 * limit is refused before a byte is read, and a body that grows past it while arriving (chunked,
 * or lying about its length) is refused as soon as it does, so no body costs more memory than the
 * limit. Either way 413 PAYLOAD_TOO_LARGE.
 */
function refuseDeclaredOverLimit(c: Context<AppEnv>, maxBytes: number): void {
  const declared = c.req.header('content-length')
  if (declared === undefined || !(Number(declared) > maxBytes)) return
  if (c.env?.incoming) discardRest(c.env.incoming)
  throw payloadTooLarge(maxBytes)
}

/**
 * What still arrives of a refused body is read and thrown away, so the client (still sending)
 * gets to read the 413 instead of a reset; if it has not stopped after `lingerMs`, the connection
 * is closed. This is nginx's lingering close. Memory stays flat either way.
 */
function discardRest(source: Readable | IncomingMessage): void {
  source.resume()
  const socket = (source as IncomingMessage).socket
  if (!socket || source.readableEnded) return
  const timer = setTimeout(() => socket.destroy(), lingerMs)
  timer.unref()
  source.once('end', () => clearTimeout(timer))
}

/** The whole body, at most `maxBytes` of it (see `refuseDeclaredOverLimit`). */
export async function readBodyBytes(c: Context<AppEnv>, maxBytes: number): Promise<Buffer> {
  refuseDeclaredOverLimit(c, maxBytes)
  return readAtMost(bodySource(c), maxBytes)
}

/** The same rule for a plain node:http server (the deployment router): at most `maxBytes`, else 413. */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) {
    discardRest(req)
    return Promise.reject(payloadTooLarge(maxBytes))
  }
  return readAtMost(req, maxBytes)
}

/** Reads a stream up to `maxBytes`. Past the limit it keeps nothing more (see `discardRest`) and rejects with 413 at once. */
function readAtMost(source: Readable | IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        cleanup()
        discardRest(source)
        reject(payloadTooLarge(maxBytes))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (err: Error) => {
      cleanup()
      reject(err)
    }
    const cleanup = () => {
      source.off('data', onData)
      source.off('end', onEnd)
      source.off('error', onError)
    }
    source.on('data', onData)
    source.once('end', onEnd)
    source.once('error', onError)
  })
}

/**
 * The JSON body of an API call. MLflow accepts `application/json` only (its `_validate_content_type`,
 * the CSRF fix for CVE-2023-6568); the refused header is never echoed back.
 */
export async function readJsonBody(c: Context<AppEnv>): Promise<unknown> {
  // Some calls carry everything in the path (DELETE logged-models/{id}/tags/{key}) and send no body.
  if (!c.req.header('content-type') && !c.req.header('transfer-encoding') && Number(c.req.header('content-length') ?? 0) === 0) return {}
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') throw invalidParameter('Bad Request. Content-Type must be one of [application/json].')
  const text = (await readBodyBytes(c, maxJsonBytes)).toString('utf8')
  if (text.trim() === '') return {}
  if (isNestedDeeperThan(text, maxJsonDepth)) throw invalidParameter(`Malformed request: the JSON body is nested deeper than ${maxJsonDepth} levels.`)
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw invalidParameter('Malformed request: the body is not valid JSON.')
  }
}

/** Counts bracket depth outside strings; invalid JSON is left for JSON.parse to refuse. */
function isNestedDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

/**
 * The raw request body as a Node stream, without buffering it (artifact uploads can be gigabytes),
 * failing with 413 once more than `maxBytes` arrived.
 */
export function requestBodyStream(c: Context<AppEnv>, maxBytes: number): Readable {
  refuseDeclaredOverLimit(c, maxBytes)
  let size = 0
  const source = bodySource(c)
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length
      if (size > maxBytes) {
        source.unpipe(counted)
        discardRest(source)
        return callback(payloadTooLarge(maxBytes))
      }
      callback(null, chunk)
    },
  })
  source.on('error', (err) => counted.destroy(err))
  return source.pipe(counted)
}

function bodySource(c: Context<AppEnv>): Readable {
  if (c.env?.incoming) return c.env.incoming as Readable
  const body = c.req.raw.body
  return body ? Readable.fromWeb(body as import('node:stream/web').ReadableStream) : Readable.from([])
}

/** Query parameters as MLflow's GET encoding sends them: one value, or a list when a key repeats. */
export function queryFields(c: Context<AppEnv>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [key, values] of Object.entries(c.req.queries())) out[key] = values.length === 1 ? values[0]! : values
  return out
}
