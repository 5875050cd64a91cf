import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import type { Logger } from '../logger.js'

const digest = (key: string) => createHash('sha256').update(key).digest()

/**
 * Azure ML-style endpoint keys: a primary and a secondary, both accepted, sent as
 * `Authorization: Bearer <key>` (docs/protocols.md §8). Rotate by restarting with new keys, or by
 * rewriting the keys file (one key, or `sha256:` and its hex digest, per line), which is re-read
 * when it changes: move clients to
 * the secondary, regenerate the primary, move them back. Keys are compared as sha256 digests in
 * constant time. No keys configured: every request is allowed.
 */
export class ApiKeys {
  #digests: Buffer[]
  #metricsDigests: Buffer[] = []
  readonly #file: string | undefined
  readonly #logger: Logger | undefined

  constructor(keys: readonly (string | undefined)[], file: string | undefined, logger?: Logger) {
    this.#file = file
    this.#logger = logger
    this.#digests = keys.filter((k): k is string => k !== undefined && k !== '').map(digest)
    if (file !== undefined) {
      const fromFile = readKeysFile(file)
      this.#digests = [...this.#digests, ...fromFile.keys]
      this.#metricsDigests = fromFile.metricsKeys
      watchFile(file, { interval: 1000, persistent: false }, () => this.#reload(keys))
    }
  }

  get isRequired(): boolean {
    return this.#digests.length > 0 || this.#file !== undefined
  }

  /** True when the Authorization header carries one of the keys (or when none is configured). */
  check(authorization: string | undefined): boolean {
    if (!this.isRequired) return true
    return matches(this.#digests, authorization)
  }

  /**
   * /metrics also takes a metrics-only key (a `metrics sha256:` line of the keys file): the control
   * plane scrapes its instances with it, and it answers no prediction. It comes as a bearer token or
   * in `X-Wharf-Metrics-Key`: the Kubernetes API server's pod proxy, through which the control plane
   * scrapes pods, drops the Authorization header once it has authenticated the caller.
   */
  checkMetrics(authorization: string | undefined, metricsKey?: string): boolean {
    return this.check(authorization) || matches(this.#metricsDigests, authorization) || matchesKey(this.#metricsDigests, metricsKey)
  }

  close(): void {
    if (this.#file !== undefined) unwatchFile(this.#file)
  }

  #reload(keys: readonly (string | undefined)[]): void {
    try {
      const fromFile = readKeysFile(this.#file!)
      this.#digests = [...keys.filter((k): k is string => k !== undefined && k !== '').map(digest), ...fromFile.keys]
      this.#metricsDigests = fromFile.metricsKeys
    } catch (err) {
      // Keep the old keys: a half-written file must not lock everyone out or let everyone in.
      this.#logger?.warn({ err }, 'could not re-read the API keys file')
    }
  }
}

/** A line `sha256:<64 hex digits>` is a key's digest (what Wharf's deployments write: servers never hold the keys). */
const digestLine = /^sha256:([0-9a-f]{64})$/
/** A line `metrics sha256:<64 hex digits>` is the digest of a key that only reads /metrics. */
const metricsLine = /^metrics sha256:([0-9a-f]{64})$/

function matches(digests: readonly Buffer[], authorization: string | undefined): boolean {
  if (authorization === undefined || authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return false
  return matchesKey(digests, authorization.slice(7).trim())
}

/** Whether the key's digest is one of `digests`, compared in constant time against each. */
function matchesKey(digests: readonly Buffer[], key: string | undefined): boolean {
  if (digests.length === 0 || key === undefined || key === '') return false
  const given = digest(key)
  let ok = false
  for (const d of digests) ok = timingSafeEqual(d, given) || ok
  return ok
}

function readKeysFile(file: string): { keys: Buffer[]; metricsKeys: Buffer[] } {
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  const metricsKeys = lines.flatMap((l) => {
    const hex = metricsLine.exec(l)?.[1]
    return hex ? [Buffer.from(hex, 'hex')] : []
  })
  const keys = lines.filter((l) => !metricsLine.test(l))
  if (keys.length === 0) throw new Error(`the API keys file ${file} has no keys`)
  if (keys.length > 2) throw new Error(`the API keys file ${file} has ${keys.length} keys; at most two (primary, secondary)`)
  if (metricsKeys.length > 1) throw new Error(`the API keys file ${file} has ${metricsKeys.length} metrics keys; at most one`)
  return {
    keys: keys.map((k) => {
      const hex = digestLine.exec(k)?.[1]
      return hex ? Buffer.from(hex, 'hex') : digest(k)
    }),
    metricsKeys,
  }
}
