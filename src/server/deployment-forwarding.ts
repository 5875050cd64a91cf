import { type IncomingHttpHeaders, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Readable } from 'node:stream'
import type { Context, MiddlewareHandler } from 'hono'
import { unavailable } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { maxJsonBytes, requestBodyStream } from '../http/request-body.js'
import { type DeploymentLeaseView, replicaUriOf } from './deployment-lease.js'

/**
 * Marks a request one replica forwarded to another. A replica that gets a marked request and does
 * not hold the lease answers 503 instead of forwarding again, so a request never loops between
 * replicas that disagree for a moment about who holds it.
 */
export const forwardedByHeader = 'x-wharf-forwarded-by'

/** Deployment routes every replica answers from the database and wharf.yaml alone. */
const answeredAnywhere = new Set(['environments', 'history', 'render'])

/** Headers about one connection (RFC 9110 §7.6.1), and those this replica already checked for its own address. */
const notForwarded = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  // The Origin check (CSRF) ran here against this replica's Host; the holder would compare it with its own.
  'origin',
  forwardedByHeader,
])

export interface ForwardingOptions {
  /** The lease as this replica sees it; undefined until it listens, or when one process owns the store. */
  readonly lease: () => DeploymentLeaseView | undefined
  /** The server's token, for a request that reached this replica without credentials (none needed here). */
  readonly authToken?: string | undefined
}

/**
 * With several replicas on one database, the lease holder alone runs local and container
 * deployments (deployment-lease.ts). This middleware, in front of the deployment routes, sends
 * their requests from any other replica to the holder and its answer back, streamed both ways,
 * status and headers kept: behind a load balancer every replica answers as the holder would. It
 * never retries: a request the holder may have received is not sent twice.
 */
export function forwardToLeaseHolder(options: ForwardingOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const lease = options.lease()
    const route = c.req.path.slice(c.req.path.lastIndexOf('/deployments/') + '/deployments/'.length)
    if (lease === undefined || lease.isHolder() || answeredAnywhere.has(route)) return next()
    if (c.req.header(forwardedByHeader) !== undefined)
      throw unavailable('another replica forwarded this deployment request here, but this replica does not supervise deployments: the lease moved; try again')
    const holder = await lease.holder()
    if (holder === undefined)
      throw unavailable('no replica supervises deployments at the moment (the deployment lease is being taken over); try again in a few seconds')
    // Just taken by this replica: its control plane answers (503 until it has started).
    if (holder === lease.self) return next()
    return forward(c, replicaUriOf(holder), lease.self, options.authToken)
  }
}

/** Sends the request as it came (raw path and query, headers, streamed body) to `base`, and its answer back. */
function forward(c: Context<AppEnv>, base: string, self: string, authToken: string | undefined): Promise<Response> {
  const target = new URL(base)
  const headers: OutgoingHttpHeaders = {}
  c.req.raw.headers.forEach((value, name) => {
    if (!notForwarded.has(name)) headers[name] = value
  })
  if (headers.authorization === undefined && authToken !== undefined) headers.authorization = `Bearer ${authToken}`
  headers[forwardedByHeader] = self
  headers.host = target.host
  const method = c.req.method
  // Refused here as the holder would refuse it: a declared length over the limit before anything is sent.
  const body = method === 'GET' || method === 'HEAD' ? undefined : requestBodyStream(c, maxJsonBytes)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  // The path exactly as the client sent it (the guards have refused dot segments); the host is never taken from it.
  const path = c.env?.incoming?.url ?? `${new URL(c.req.url).pathname}${new URL(c.req.url).search}`
  return new Promise<Response>((resolve, reject) => {
    const upstream = send({ protocol: target.protocol, hostname: target.hostname, port: target.port, method, path, headers }, (res) =>
      resolve(answerOf(res, method)),
    )
    upstream.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        unavailable(
          `the replica supervising deployments (${base}) did not answer (${err.code ?? err.message}); it may be stopping: try again in a few seconds`,
        ),
      ),
    )
    if (body === undefined) return void upstream.end()
    body.on('error', (err) => {
      upstream.destroy()
      reject(err)
    })
    body.pipe(upstream)
  })
}

/** The holder's answer as this replica's response; its body streams through as it arrives. */
function answerOf(res: IncomingMessage, method: string): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers as IncomingHttpHeaders)) {
    if (value === undefined || notForwarded.has(name)) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
  }
  const status = res.statusCode ?? 502
  const isBodyless = method === 'HEAD' || status === 204 || status === 304
  if (isBodyless) res.resume()
  return new Response(isBodyless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers })
}
