import { type IncomingHttpHeaders, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Readable } from 'node:stream'
import type { Context, MiddlewareHandler } from 'hono'
import { deadlineExceeded, MlflowError, unavailable } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { maxJsonBytes, requestBodyStream } from '../http/request-body.js'
import { type DeploymentLeaseView, replicaUriOf } from './deployment-lease.js'

/**
 * Marks a request one replica forwarded to another. A replica that gets a marked request and does
 * not hold the lease answers 503 instead of forwarding again, so a request never loops between
 * replicas that disagree for a moment about who holds it.
 */
export const forwardedByHeader = 'x-wharf-forwarded-by'

/**
 * The holder (with its term) a request was forwarded to. The holder applies it only in that term:
 * one that was paused and lost its lease without seeing it go may find the request in its socket
 * afterwards, when the forwarding replica has long answered it as timed out; it refuses it.
 */
export const forwardedToHeader = 'x-wharf-forwarded-to'

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
  forwardedToHeader,
])

export interface ForwardingOptions {
  /** The lease as this replica sees it; undefined until it listens, or when one process owns the store. */
  readonly lease: () => DeploymentLeaseView | undefined
  /** The server's token, for a request that reached this replica without credentials (none needed here). */
  readonly authToken?: string | undefined
  /** How long the holder may take to accept the connection (default 5 s): nothing was sent when it does not. */
  readonly connectTimeoutMs?: number | undefined
  /** How often the lease is read while the holder's answer is awaited or streams (default 2 s). */
  readonly leaseCheckMs?: number | undefined
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
    if (lease === undefined || answeredAnywhere.has(route)) return next()
    const forwardedTo = c.req.header(forwardedToHeader)
    if (lease.isHolder()) {
      if (forwardedTo === undefined || forwardedTo === lease.self) return next()
      throw unavailable(
        'this request was forwarded to an earlier term of this replica as deployment supervisor, which has ended (it was paused or lost its lease): it was not applied; try again',
      )
    }
    if (c.req.header(forwardedByHeader) !== undefined)
      throw unavailable('another replica forwarded this deployment request here, but this replica does not supervise deployments: the lease moved; try again')
    const holder = await lease.holder()
    if (holder === undefined)
      throw unavailable('no replica supervises deployments at the moment (the deployment lease is being taken over); try again in a few seconds')
    // This replica's own lease, not (or no longer surely) renewed: it is taking supervision up or giving it up.
    if (holder === lease.self) throw unavailable('this replica is taking over or giving up deployment supervision; try again in a few seconds')
    return forward(c, holder, lease, options)
  }
}

/**
 * Sends the request as it came (raw path and query, headers, streamed body) to `holder`, and its
 * answer back. Waits are bounded: the connection by `connectTimeoutMs`; the answer, which a deploy
 * may legitimately take minutes to give, and its body, which may stream for as long as the client
 * reads, by the holder's lease. A live holder renews it every few seconds however long it works; a
 * holder that vanished without closing its connections (SIGSTOP, a dead machine) loses it within
 * one lease length, and then this replica gives up: 504 before the answer (the holder may or may
 * not have applied the request), a cut-off body after it.
 */
function forward(c: Context<AppEnv>, holder: string, lease: DeploymentLeaseView, options: ForwardingOptions): Promise<Response> {
  const base = replicaUriOf(holder)
  const target = new URL(base)
  const headers: OutgoingHttpHeaders = {}
  c.req.raw.headers.forEach((value, name) => {
    if (!notForwarded.has(name)) headers[name] = value
  })
  if (headers.authorization === undefined && options.authToken !== undefined) headers.authorization = `Bearer ${options.authToken}`
  headers[forwardedByHeader] = lease.self
  headers[forwardedToHeader] = holder
  headers.host = target.host
  const method = c.req.method
  // Refused here as the holder would refuse it: a declared length over the limit before anything is sent.
  const body = method === 'GET' || method === 'HEAD' ? undefined : requestBodyStream(c, maxJsonBytes)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  // The path exactly as the client sent it (the guards have refused dot segments); the host is never taken from it.
  const path = c.env?.incoming?.url ?? `${new URL(c.req.url).pathname}${new URL(c.req.url).search}`
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000
  return new Promise<Response>((resolve, reject) => {
    let isAnswered = false
    const upstream = send({ protocol: target.protocol, hostname: target.hostname, port: target.port, method, path, headers }, (res) => {
      isAnswered = true
      res.once('close', () => watch.stop())
      resolve(answerOf(res, method))
    })
    const watch = watchHolder(lease, holder, options.leaseCheckMs ?? 2000, () =>
      upstream.destroy(
        isAnswered
          ? new Error(`the replica supervising deployments (${base}) lost its lease while its answer streamed`)
          : deadlineExceeded(
              `the replica supervising deployments (${base}) did not answer before its lease ran out (it stopped renewing it: paused, cut off or dead); ` +
                'the request may or may not have been applied (wharf deployments history shows which); another replica takes over within seconds',
            ),
      ),
    )
    upstream.once('socket', (socket) => {
      if (!socket.connecting) return
      const timer = setTimeout(
        () =>
          upstream.destroy(
            unavailable(
              `the replica supervising deployments (${base}) did not accept a connection within ${connectTimeoutMs} ms; nothing was sent: try again in a few seconds`,
            ),
          ),
        connectTimeoutMs,
      )
      socket.once('connect', () => clearTimeout(timer))
      socket.once('close', () => clearTimeout(timer))
    })
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      watch.stop()
      if (isAnswered) return
      reject(
        err instanceof MlflowError
          ? err
          : unavailable(
              `the replica supervising deployments (${base}) did not answer (${err.code ?? err.message}); it may be stopping: try again in a few seconds`,
            ),
      )
    })
    if (body === undefined) return void upstream.end()
    body.on('error', (err) => {
      watch.stop()
      upstream.destroy()
      reject(err)
    })
    body.pipe(upstream)
  })
}

/**
 * Reads the lease every `everyMs` and calls `onGone` once it no longer names `holder` (it ran out
 * or moved). A read that fails says nothing about the holder and is not counted.
 */
function watchHolder(lease: DeploymentLeaseView, holder: string, everyMs: number, onGone: () => void): { stop(): void } {
  let isStopped = false
  let isReading = false
  const timer = setInterval(async () => {
    if (isReading) return
    isReading = true
    const now = await lease.holder().catch(() => holder)
    isReading = false
    if (isStopped || now === holder) return
    stop()
    onGone()
  }, everyMs)
  const stop = () => {
    isStopped = true
    clearInterval(timer)
  }
  return { stop }
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
