import type { IncomingMessage } from 'node:http'
import { MlflowError } from '../errors.js'

const tooLarge = (maxBytes: number) => new MlflowError('PAYLOAD_TOO_LARGE', `the request body is larger than the limit of ${maxBytes} bytes`)

/**
 * Reads a request body up to `maxBytes`, with callbacks rather than promises (this is the hot
 * path). A one-chunk body is used as is, without copying. Past the limit the callback gets a 413
 * at once and the rest of the body is discarded unread.
 */
export function readBody(req: IncomingMessage, maxBytes: number, done: (err: MlflowError | undefined, body: Buffer) => void): void {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) {
    req.resume()
    done(tooLarge(maxBytes), empty)
    return
  }
  let first: Buffer | undefined
  let rest: Buffer[] | undefined
  let size = 0
  let finished = false
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size > maxBytes) {
      req.off('data', onData)
      req.resume()
      finished = true
      return done(tooLarge(maxBytes), empty)
    }
    if (first === undefined) first = chunk
    else {
      rest ??= [first]
      rest.push(chunk)
    }
  }
  req.on('data', onData)
  // on, not once: each fires at most once here, and once allocates a wrapper per listener.
  req.on('end', () => {
    if (finished) return
    finished = true
    done(undefined, rest !== undefined ? Buffer.concat(rest, size) : (first ?? empty))
  })
  // A client that goes away mid-body gets no answer, but the request must still end (in-flight
  // count, the model entry it holds). 'close' comes then, and after 'end' too, hence the flag. No
  // 'error' listener: an IncomingMessage emits 'error' only when one is attached (node keeps that
  // for compatibility), and the abort is seen as 'close' without it.
  req.on('close', () => {
    if (finished) return
    finished = true
    done(new MlflowError('BAD_REQUEST', 'the request body could not be read'), empty)
  })
}

const empty = Buffer.alloc(0)
