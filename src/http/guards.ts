import { timingSafeEqual, createHash } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { invalidPath, MlflowError } from '../errors.js'
import { decodePercentFully } from '../percent-decode.js'
import type { AppEnv } from './app-env.js'
import { HostGuard } from './host-guard.js'

export interface GuardOptions {
  readonly bindHost: string
  readonly authToken?: string | undefined
  readonly allowedHosts: readonly string[]
  readonly corsAllowedOrigins: readonly string[]
  /** Requests that need no token (the web UI's page loads); the Host check still applies. */
  readonly isPublic?: ((method: string, path: string) => boolean) | undefined
}

/** Probes must work without credentials and from any Host (docs/security.md §3.8, §3.9). */
const openPaths = new Set(['/health', '/version'])

// Registry webhooks carry no bearer token; this receiver authenticates each delivery by its HMAC
// signature instead (pipeline/pipeline-trigger.ts) and refuses everything when no secret is set.
const signedPaths = new Set(['/api/2.0/wharf/pipelines/trigger', '/ajax-api/2.0/wharf/pipelines/trigger'])

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

/**
 * URL parsers resolve `..` before routing (WHATWG URL, also for `%2e%2e`), which could carry a
 * request out of the route it was sent to. No API URL has dot segments, so any is refused as MLflow
 * refuses traversal: 400 "Invalid path". So is a segment that does not decode.
 */
function hasDotSegments(rawPath: string): boolean {
  return rawPath.split('/').some((segment) => {
    const decoding = decodePercentFully(segment)
    if ('refused' in decoding) return true
    const decoded = decoding.forms.at(-1)!
    return decoded === '.' || decoded === '..' || /(^|[/\\])\.\.?([/\\]|$)/.test(decoded)
  })
}

export function guards(options: GuardOptions): MiddlewareHandler<AppEnv> {
  const hostGuard = new HostGuard({
    bindHost: options.bindHost,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.corsAllowedOrigins,
    hostCheck: 'always',
  })
  return async (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('X-Frame-Options', 'SAMEORIGIN')
    const rawUrl = c.env?.incoming?.url ?? new URL(c.req.url).pathname
    const path = rawUrl.split('?')[0] ?? ''
    if (hasDotSegments(path)) throw invalidPath()
    if (openPaths.has(path)) return next()
    if (!hostGuard.isAllowedHost(c.req.header('host'))) {
      throw new MlflowError('PERMISSION_DENIED', 'Invalid Host header - possible DNS rebinding attack detected')
    }
    const origin = c.req.header('origin')
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !hostGuard.isAllowedOrigin(origin, c.req.header('host'))) {
      throw new MlflowError('PERMISSION_DENIED', 'Cross-origin request blocked')
    }
    const isPublic = options.isPublic?.(c.req.method, path) ?? false
    if (options.authToken !== undefined && !signedPaths.has(path) && !isPublic && !isAuthorized(c.req.header('authorization'), options.authToken)) {
      // A Basic challenge makes a browser pop up its own login box over the web UI, which asks
      // for the token itself; its requests say who they are with X-Requested-With.
      const isPage = c.req.header('x-requested-with') !== undefined
      c.header('WWW-Authenticate', isPage ? 'Bearer realm="wharf"' : 'Bearer realm="wharf", Basic realm="wharf"')
      throw new MlflowError('UNAUTHENTICATED', 'You are not authenticated. Send Authorization: Bearer <token> (MLFLOW_TRACKING_TOKEN).')
    }
    return next()
  }
}
