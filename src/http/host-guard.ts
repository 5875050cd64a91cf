import { BlockList, isIP } from 'node:net'

export interface HostGuardOptions {
  /** The address the server listens on. */
  readonly bindHost: string
  /** Extra Host names accepted (WHARF_ALLOWED_HOSTS); `*` accepts any. */
  readonly allowedHosts: readonly string[]
  /** Extra browser origins allowed (WHARF_CORS_ALLOWED_ORIGINS); `*` allows any. */
  readonly allowedOrigins: readonly string[]
  /**
   * `always` (the tracking server): every Host is checked; behind a wildcard bind, private
   * addresses are accepted too. `loopback` (`wharf serve`): only a server bound to loopback checks
   * Host; one bound elsewhere sits behind a load balancer with names of its own, and API keys
   * protect it.
   */
  readonly hostCheck: 'always' | 'loopback'
}

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')

// Reached through a wildcard bind from inside a cluster or LAN. Matched as CIDR, never as name
// patterns: MLflow's fnmatch `10.*` also lets `10.attacker.example` through (docs/security.md).
const privateRanges = new BlockList()
privateRanges.addSubnet('10.0.0.0', 8, 'ipv4')
privateRanges.addSubnet('172.16.0.0', 12, 'ipv4')
privateRanges.addSubnet('192.168.0.0', 16, 'ipv4')
privateRanges.addSubnet('fc00::', 7, 'ipv6')

const familyOf = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4')
const unbracketed = (name: string) => (name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name)

/** `localhost`, 127.0.0.0/8 or ::1 (bracketed or not). */
export function isLoopback(name: string): boolean {
  const host = unbracketed(name.toLowerCase())
  return host === 'localhost' || (isIP(host) !== 0 && loopback.check(host, familyOf(host)))
}

function hostnameOf(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader)
  if (bracketed) return bracketed[1]!.toLowerCase()
  return hostHeader.replace(/:\d+$/, '').toLowerCase()
}

/**
 * The browser-borne attacks on a server reachable from a browser (docs/security.md): DNS
 * rebinding, where a page tricks the browser into calling us under the attacker's name (a foreign
 * Host), and cross-origin writes (an Origin that is neither local nor configured). Used by the
 * tracking server's guards and by `wharf serve`.
 */
export class HostGuard {
  readonly #options: HostGuardOptions
  readonly #isHostChecked: boolean
  readonly #isWildcardBind: boolean
  /** A client sends the same Host on every request; remembering the last good one skips the parsing. */
  #lastAllowedHost: string | undefined

  constructor(options: HostGuardOptions) {
    this.#options = options
    const isAnyHost = options.allowedHosts.includes('*')
    this.#isHostChecked = !isAnyHost && (options.hostCheck === 'always' || isLoopback(options.bindHost))
    this.#isWildcardBind = options.bindHost === '0.0.0.0' || options.bindHost === '::'
  }

  isAllowedHost(hostHeader: string | undefined): boolean {
    if (!this.#isHostChecked) return true
    if (hostHeader === undefined || hostHeader === '') return false
    if (hostHeader === this.#lastAllowedHost) return true
    const allowed = this.#isAllowedName(hostnameOf(hostHeader))
    if (allowed) this.#lastAllowedHost = hostHeader
    return allowed
  }

  /**
   * An absent Origin is not a browser, and is allowed. A page of this server (the web UI) is
   * same-origin: its Origin names the Host header the request came with, which the caller has
   * already checked with isAllowedHost.
   */
  isAllowedOrigin(origin: string | undefined, hostHeader?: string): boolean {
    if (origin === undefined) return true
    const configured = this.#options.allowedOrigins
    if (configured.includes(origin) || configured.includes('*')) return true
    try {
      const { protocol, hostname, host } = new URL(origin)
      if (protocol !== 'http:' && protocol !== 'https:') return false
      if (hostHeader !== undefined && host === hostHeader.toLowerCase()) return true
      return isLoopback(hostname)
    } catch {
      return false
    }
  }

  #isAllowedName(name: string): boolean {
    if (name === 'localhost' || name === this.#options.bindHost.toLowerCase()) return true
    if (this.#options.allowedHosts.some((h) => h.toLowerCase() === name)) return true
    if (!isIP(name)) return false
    if (loopback.check(name, familyOf(name))) return true
    return this.#isWildcardBind && privateRanges.check(name, familyOf(name))
  }
}
