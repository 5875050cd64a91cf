import { createReadStream, createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { AgreementStats, type AgreementReport, type Comparison } from './agreement.js'

export interface ShadowRecord {
  readonly time: number
  readonly liveVersion: string
  readonly shadowVersion: string
  readonly liveStatus: number
  readonly shadowStatus?: number | undefined
  readonly shadowError?: string | undefined
  readonly request: string
  readonly live: string
  readonly shadow?: string | undefined
  readonly comparison?: Comparison | undefined
}

const maxLoggedChars = 4096
const clip = (s: string) => (s.length > maxLoggedChars ? `${s.slice(0, maxLoggedChars)}…` : s)

/**
 * Shadowed requests of one endpoint, one JSON line each (request, both answers, their comparison),
 * with agreement totals per (live, shadow) pair, running and per second (for windowed reports), that
 * survive a restart: they are rebuilt from the file when it is opened.
 */
export class ShadowLog {
  readonly #path: string
  readonly #stats = new Map<string, AgreementStats>()
  #out: WriteStream | undefined

  constructor(path: string) {
    this.#path = path
  }

  async open(): Promise<void> {
    mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 })
    try {
      const lines = createInterface({ input: createReadStream(this.#path, 'utf8'), crlfDelay: Infinity })
      for await (const line of lines) {
        try {
          this.#count(JSON.parse(line) as ShadowRecord)
        } catch {
          // a torn last line after a crash
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    this.#out = createWriteStream(this.#path, { flags: 'a', mode: 0o600 })
  }

  append(record: ShadowRecord): void {
    this.#count(record)
    this.#out?.write(`${JSON.stringify({ ...record, request: clip(record.request), live: clip(record.live), shadow: record.shadow && clip(record.shadow) })}\n`)
  }

  /** One report per (live, shadow) pair seen, newest pair last: since each was deployed, or over the requests since `sinceMs`. */
  reports(sinceMs?: number): AgreementReport[] {
    return [...this.#stats.values()].map((s) => s.report(sinceMs))
  }

  async close(): Promise<void> {
    const out = this.#out
    this.#out = undefined
    if (out) await new Promise<void>((resolve) => out.end(resolve))
  }

  #count(r: ShadowRecord): void {
    const key = `${r.liveVersion}→${r.shadowVersion}`
    let stats = this.#stats.get(key)
    if (!stats) {
      stats = new AgreementStats(r.liveVersion, r.shadowVersion)
      this.#stats.set(key, stats)
    }
    const isError = r.shadowError !== undefined || (r.shadowStatus !== undefined && (r.shadowStatus < 200 || r.shadowStatus > 299))
    stats.add(r.comparison, isError, r.time)
  }
}
