import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import type { Logger } from '../logger.js'

const digest = (key: string) => createHash('sha256').update(key).digest()

/**
 * Azure ML-style endpoint keys: a primary and a secondary, both accepted, sent as
 * `Authorization: Bearer <key>` (docs/protocols.md §8). Rotate by restarting with new keys, or by
 * rewriting the keys file (one key per line), which is re-read when it changes: move clients to
 * the secondary, regenerate the primary, move them back. Keys are compared as sha256 digests in
 * constant time. No keys configured: every request is allowed.
 */
export class ApiKeys {
  #digests: Buffer[]
  readonly #file: string | undefined
  readonly #logger: Logger | undefined

  constructor(keys: readonly (string | undefined)[], file: string | undefined, logger?: Logger) {
    this.#file = file
    this.#logger = logger
    this.#digests = keys.filter((k): k is string => k !== undefined && k !== '').map(digest)
    if (file !== undefined) {
      this.#digests = [...this.#digests, ...readKeysFile(file)]
      watchFile(file, { interval: 1000, persistent: false }, () => this.#reload(keys))
    }
  }

  get isRequired(): boolean {
    return this.#digests.length > 0 || this.#file !== undefined
  }

  /** True when the Authorization header carries one of the keys (or when none is configured). */
  check(authorization: string | undefined): boolean {
    if (!this.isRequired) return true
    if (authorization === undefined || authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return false
    const given = digest(authorization.slice(7).trim())
    let ok = false
    for (const d of this.#digests) ok = timingSafeEqual(d, given) || ok
    return ok
  }

  close(): void {
    if (this.#file !== undefined) unwatchFile(this.#file)
  }

  #reload(keys: readonly (string | undefined)[]): void {
    try {
      const fromFile = readKeysFile(this.#file!)
      this.#digests = [...keys.filter((k): k is string => k !== undefined && k !== '').map(digest), ...fromFile]
    } catch (err) {
      // Keep the old keys: a half-written file must not lock everyone out or let everyone in.
      this.#logger?.warn({ err }, 'could not re-read the API keys file')
    }
  }
}

function readKeysFile(file: string): Buffer[] {
  const keys = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  if (keys.length === 0) throw new Error(`the API keys file ${file} has no keys`)
  if (keys.length > 2) throw new Error(`the API keys file ${file} has ${keys.length} keys; at most two (primary, secondary)`)
  return keys.map(digest)
}
