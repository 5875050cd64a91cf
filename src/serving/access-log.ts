import { randomBytes } from 'node:crypto'

export interface AccessLogEntry {
  readonly id: string
  readonly method: string
  readonly route: string
  readonly status: number
  readonly ms: number
  readonly version: string | undefined
  readonly bytesIn: number
  readonly error?: string
}

const incomingId = /^[A-Za-z0-9._:-]{1,64}$/

/**
 * JSON access-log lines with request ids, written for a sampled share of requests (5xx always),
 * so the hot path pays for a log line only when asked to.
 */
export class AccessLog {
  readonly #sampleRate: number
  readonly #write: (line: string) => void
  readonly #model: string
  readonly #prefix = randomBytes(4).toString('hex') + '-'
  #counter = 0

  constructor(model: string, sampleRate: number, write: (line: string) => void = (l) => process.stdout.write(l)) {
    this.#model = model
    this.#sampleRate = sampleRate
    this.#write = write
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
    // 503 is "not loaded yet" or draining: expected during start and stop, not an error.
    const level = entry.status === 503 ? 'warn' : entry.status >= 500 ? 'error' : 'info'
    const line = { time: new Date().toISOString(), level, model: this.#model, ...entry }
    this.#write(JSON.stringify(line) + '\n')
  }
}
