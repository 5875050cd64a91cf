import { isIP } from 'node:net'

export interface GuardOptions {
  readonly bindHost: string
  readonly allowedHosts: readonly string[]
  readonly allowedOrigins: readonly string[]
}

const loopbackNames = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])
const isLoopback = (host: string) => loopbackNames.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)

function hostnameOf(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader)
  if (bracketed) return bracketed[1]!.toLowerCase()
  return hostHeader.replace(/:\d+$/, '').toLowerCase()
}

/**
 * Browser-borne attacks on a scoring server on localhost (SECURITY.md §3.8): DNS rebinding (a
 * foreign Host while bound to loopback) and cross-origin POSTs (an Origin that is not local or
 * configured). Servers bound elsewhere sit behind a load balancer with its own names: there only
 * the Origin check applies, and API keys do the rest.
 */
export class RequestGuard {
  readonly #checkHost: boolean
  readonly #options: GuardOptions
  /** A client sends the same Host on every request; remembering the last good one skips the parsing. */
  #lastAllowedHost: string | undefined

  constructor(options: GuardOptions) {
    this.#options = options
    this.#checkHost = isLoopback(options.bindHost.toLowerCase()) && !options.allowedHosts.includes('*')
  }

  isAllowedHost(host: string | undefined): boolean {
    if (!this.#checkHost) return true
    if (host === undefined || host === '') return false
    if (host === this.#lastAllowedHost) return true
    const name = hostnameOf(host)
    const allowed = isLoopback(name) || this.#options.allowedHosts.some((h) => h.toLowerCase() === name) || (isIP(name) !== 0 && name === this.#options.bindHost)
    if (allowed) this.#lastAllowedHost = host
    return allowed
  }

  isAllowedOrigin(origin: string | undefined): boolean {
    if (origin === undefined) return true // not a browser
    if (this.#options.allowedOrigins.includes(origin) || this.#options.allowedOrigins.includes('*')) return true
    try {
      const { protocol, hostname } = new URL(origin)
      return (protocol === 'http:' || protocol === 'https:') && isLoopback(hostname)
    } catch {
      return false
    }
  }
}
