import { timingSafeEqual, createHash } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import type { Context, MiddlewareHandler } from 'hono'
import { invalidPath } from '../errors.js'
import type { AppEnv } from './app-env.js'

export interface GuardOptions {
  readonly bindHost: string
  readonly authToken?: string | undefined
  readonly allowedHosts: readonly string[]
  readonly corsAllowedOrigins: readonly string[]
  /** Requests that need no token (the web UI's page loads); the Host check still applies. */
  readonly isPublic?: ((method: string, path: string) => boolean) | undefined
}

/** Probes must work without credentials and from any Host (SECURITY.md §3.8, §3.9). */
const openPaths = new Set(['/health', '/version'])

// Registry webhooks carry no bearer token; this receiver authenticates each delivery by its HMAC
// signature instead (pipeline/pipeline-trigger.ts) and refuses everything when no secret is set.
const signedPaths = new Set(['/api/2.0/wharf/pipelines/trigger', '/ajax-api/2.0/wharf/pipelines/trigger'])

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')

// Reached through a wildcard bind from inside a cluster or LAN. Matched as CIDR, never as name
// patterns: MLflow's fnmatch `10.*` also lets `10.attacker.example` through (SECURITY.md §1).
const privateRanges = new BlockList()
privateRanges.addSubnet('10.0.0.0', 8, 'ipv4')
privateRanges.addSubnet('172.16.0.0', 12, 'ipv4')
privateRanges.addSubnet('192.168.0.0', 16, 'ipv4')
privateRanges.addSubnet('fc00::', 7, 'ipv6')

function hostnameOf(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader)
  if (bracketed) return bracketed[1]!.toLowerCase()
  return hostHeader.replace(/:\d+$/, '').toLowerCase()
}

const ipFamily = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4')

/** DNS-rebinding guard: a browser tricked into calling us sends the attacker's name as Host. */
function isAllowedHost(hostHeader: string | undefined, options: GuardOptions): boolean {
  if (!hostHeader) return false
  if (options.allowedHosts.includes('*')) return true
  const name = hostnameOf(hostHeader)
  if (name === 'localhost' || name === options.bindHost.toLowerCase()) return true
  if (options.allowedHosts.some((h) => h.toLowerCase() === name)) return true
  if (!isIP(name)) return false
  if (loopback.check(name, ipFamily(name))) return true
  const wildcard = options.bindHost === '0.0.0.0' || options.bindHost === '::'
  return wildcard && privateRanges.check(name, ipFamily(name))
}

/**
 * CSRF guard: state-changing API calls from a page on another origin are refused. The server's own
 * pages (the web UI) are same-origin: their Origin names the Host the request was sent to, which
 * has passed the Host check.
 */
function isAllowedOrigin(origin: string, hostHeader: string | undefined, options: GuardOptions): boolean {
  if (options.corsAllowedOrigins.includes(origin) || options.corsAllowedOrigins.includes('*')) return true
  try {
    const { protocol, hostname, host } = new URL(origin)
    if ((protocol === 'http:' || protocol === 'https:') && hostHeader !== undefined && host === hostHeader.toLowerCase()) return true
    return (protocol === 'http:' || protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(hostname)
  } catch {
    return false
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Bearer `<token>`, or Basic with the token as password (MLFLOW_TRACKING_USERNAME/PASSWORD users). */
function isAuthorized(header: string | undefined, token: string): boolean {
  if (!header) return false
  const [scheme, value = ''] = header.split(' ', 2)
  let presented: string | undefined
  if (scheme?.toLowerCase() === 'bearer') presented = value.trim()
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    presented = decoded.slice(decoded.indexOf(':') + 1)
  }
  // Compare digests so neither the length nor the content leaks through timing.
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token))
}

const deny = (c: Context<AppEnv>, status: 401 | 403, code: string, message: string) => c.json({ error_code: code, message }, status)

/**
 * URL parsers resolve `..` before routing (WHATWG URL, also for `%2e%2e`), which could carry a
 * request out of the route it was sent to. No API URL has dot segments, so any is refused as MLflow
 * refuses traversal: 400 "Invalid path".
 */
function hasDotSegments(rawPath: string): boolean {
  return rawPath.split('/').some((segment) => {
    let decoded = segment
    for (let i = 0; i < 10; i++) {
      let next: string
      try {
        next = decodeURIComponent(decoded)
      } catch {
        return true
      }
      if (next === decoded) break
      decoded = next
    }
    return decoded === '.' || decoded === '..' || /(^|[/\\])\.\.?([/\\]|$)/.test(decoded)
  })
}

export function guards(options: GuardOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('X-Frame-Options', 'SAMEORIGIN')
    const rawUrl = c.env?.incoming?.url ?? new URL(c.req.url).pathname
    const path = rawUrl.split('?')[0] ?? ''
    if (hasDotSegments(path)) throw invalidPath()
    if (openPaths.has(path)) return next()
    if (!isAllowedHost(c.req.header('host'), options)) {
      return deny(c, 403, 'PERMISSION_DENIED', 'Invalid Host header - possible DNS rebinding attack detected')
    }
    const origin = c.req.header('origin')
    if (origin !== undefined && c.req.method !== 'GET' && c.req.method !== 'HEAD' && !isAllowedOrigin(origin, c.req.header('host'), options)) {
      return deny(c, 403, 'PERMISSION_DENIED', 'Cross-origin request blocked')
    }
    const isPublic = options.isPublic?.(c.req.method, path) ?? false
    if (options.authToken !== undefined && !signedPaths.has(path) && !isPublic && !isAuthorized(c.req.header('authorization'), options.authToken)) {
      // A Basic challenge makes a browser pop up its own login box over the web UI, which asks
      // for the token itself; its requests say who they are with X-Requested-With.
      const isPage = c.req.header('x-requested-with') !== undefined
      c.header('WWW-Authenticate', isPage ? 'Bearer realm="wharf"' : 'Bearer realm="wharf", Basic realm="wharf"')
      return deny(c, 401, 'UNAUTHENTICATED', 'You are not authenticated. Send Authorization: Bearer <token> (MLFLOW_TRACKING_TOKEN).')
    }
    return next()
  }
}
