import { randomBytes } from 'node:crypto'
import type { Logger } from '../logger.js'

export interface AccessLogEntry {
  readonly requestId: string
  readonly method: string
  readonly route: string
  readonly status: number
  readonly durationMs: number
  readonly version: string | undefined
  readonly bytesIn: number
  readonly error?: string
}

const incomingId = /^[A-Za-z0-9._:-]{1,64}$/

/**
 * Access-log lines with request ids, written for a sampled share of requests (5xx always), so the
 * hot path pays for a log line only when asked to. The lines are Wharf's log lines (logger.ts):
 * `msg: "request"` with request_id, method, route, status, duration_ms, model, version, bytes_in.
 */
export class AccessLog {
  readonly #sampleRate: number
  readonly #logger: Logger
  readonly #prefix = `${randomBytes(4).toString('hex')}-`
  #counter = 0

  /** `logger` should carry the model (a child logger with `model`). */
  constructor(logger: Logger, sampleRate: number) {
    this.#logger = logger
    this.#sampleRate = sampleRate
  }

  /** The client's `x-request-id` when it is a sane token, else a new process-unique id. */
  requestId(incoming: string | undefined): string {
    if (incoming !== undefined && incomingId.test(incoming)) return incoming
    return this.#prefix + (++this.#counter).toString(36)
  }

  /** Asked before building an entry, so an unsampled request allocates nothing for the log. */
  isSampled(status: number): boolean {
    return status >= 500 || (this.#sampleRate !== 0 && Math.random() < this.#sampleRate)
  }

  /** Writes the line; callers check `isSampled` first. */
  record(entry: AccessLogEntry): void {
    const fields = {
      request_id: entry.requestId,
      method: entry.method,
      route: entry.route,
      status: entry.status,
      duration_ms: entry.durationMs,
      version: entry.version,
      bytes_in: entry.bytesIn,
      ...(entry.error === undefined ? {} : { error: entry.error }),
    }
    // 503 is "not loaded yet" or draining: expected during start and stop, not an error.
    if (entry.status === 503) this.#logger.warn(fields, 'request')
    else if (entry.status >= 500) this.#logger.error(fields, 'request')
    else this.#logger.info(fields, 'request')
  }
}
