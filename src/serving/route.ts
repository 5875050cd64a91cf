import type { IncomingHttpHeaders } from 'node:http'
import type { ModelEntry, ModelSlot } from './model-slot.js'
import type { MlflowError } from '../errors.js'

export interface Reply {
  readonly status: number
  readonly contentType: string
  /** Text, or bytes for the V2 binary tensor extension. */
  readonly body: string | Buffer
  /** 'latin1': the string body holds bytes, one character each (a V2 binary answer sent with its head in one write). */
  readonly encoding?: 'latin1'
  /** More response headers as name, value pairs (lower-case names). */
  readonly headers?: readonly string[]
}

export interface RequestContext {
  /** The model version this request is served by, taken once at its start (see ModelSlot). */
  readonly entry: ModelEntry | undefined
  readonly slot: ModelSlot
  readonly path: string
  readonly body: Buffer | undefined
  readonly contentType: string | undefined
  /** Every request header, for protocols that read more than Content-Type (V2's Inference-Header-Content-Length). */
  readonly headers: IncomingHttpHeaders
}

/** Each protocol writes errors its own way: MLflow `{error_code, message}`, KServe `{"error"}`. */
export type ErrorFormat = (err: MlflowError) => Reply

export interface Route {
  readonly method: 'GET' | 'POST'
  /** Exact path, or a prefix when `isPrefix` (V2 `/versions/{v}` routes). */
  readonly path: string
  readonly isPrefix?: boolean
  /** Metrics and access-log label: the path template. */
  readonly label: string
  /** Health probes answer without credentials (docs/security.md §3.9). */
  readonly isOpen: boolean
  /** Answer 503 in the route's own format until a model is loaded and warmed up. */
  readonly needsModel: boolean
  readonly errors: ErrorFormat
  handle(ctx: RequestContext): Reply | Promise<Reply>
}

export const jsonReply = (status: number, body: string): Reply => ({ status, contentType: 'application/json', body })
export const textReply = (status: number, body: string): Reply => ({ status, contentType: 'text/plain; charset=utf-8', body })
