import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { badRequest, MlflowError } from '../errors.js'
import type { Logger } from '../logger.js'
import { InputError } from '../models/index.js'
import type { AccessLog } from './access-log.js'
import type { ApiKeys } from './api-keys.js'
import { azureError, azuremlRoutes } from './azureml-protocol.js'
import { kserveError, kserveRoutes } from './kserve-protocol.js'
import { renderMetrics, type ServingMetrics } from './metrics.js'
import { mlflowError, mlflowRoutes } from './mlflow-protocol.js'
import type { ModelEntry, ModelSlot } from './model-slot.js'
import { readBody } from './request-body.js'
import type { HostGuard } from '../http/host-guard.js'
import type { ErrorFormat, Reply, RequestContext, Route } from './route.js'

export interface ServingHttpOptions {
  readonly slot: ModelSlot
  readonly metrics: ServingMetrics
  readonly accessLog: AccessLog
  readonly keys: ApiKeys
  readonly guard: HostGuard
  readonly maxBodyBytes: number
  /** /metrics text; the cluster primary sums every worker's (default: this process only). */
  readonly renderMetrics?: () => Promise<string>
  /** Where unexpected errors (answered 500 with no detail) are logged. */
  readonly logger: Logger
}

export interface ServingServer {
  readonly server: Server
  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes every connection. */
  drain(timeoutMs: number): Promise<void>
}

/** Only an error raised on purpose says what went wrong; anything else is a 500 with no detail. */
function toServingError(err: unknown, logger: Logger): MlflowError {
  if (err instanceof MlflowError) return err
  // The models layer raises InputError for anything wrong with the request's data (models/model-input.ts).
  if (err instanceof InputError) return badRequest(err.message.slice(0, 300))
  logger.error({ err }, 'request failed')
  return new MlflowError('INTERNAL_ERROR', 'internal error')
}

const metricsKeyOf = (req: IncomingMessage) => {
  const value = req.headers['x-wharf-metrics-key']
  return typeof value === 'string' ? value : undefined
}

const errorsForPath = (path: string): ErrorFormat =>
  path.startsWith('/v1/') || path.startsWith('/v2') ? kserveError : path === '/score' ? azureError : mlflowError

/**
 * The scoring server on raw node:http: every route is found by exact string match in a table built
 * once (prefix routes only for V2 `/versions/{v}`), bodies are read by callbacks, replies are
 * strings the protocols wrote, and a request uses the model entry it took at its start.
 */
export function createServingServer(options: ServingHttpOptions): ServingServer {
  const { slot, metrics, accessLog, keys, guard, maxBodyBytes, logger } = options
  const metricsText = options.renderMetrics ?? (async () => renderMetrics([metrics.snapshot()]))
  const metricsRoute: Route = {
    method: 'GET',
    path: '/metrics',
    label: '/metrics',
    isOpen: false,
    needsModel: false,
    errors: mlflowError,
    handle: async () => ({ status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: await metricsText() }),
  }
  const routes = [...mlflowRoutes(), ...kserveRoutes(slot.name), ...azuremlRoutes(), metricsRoute]
  const exact = { GET: new Map<string, Route>(), POST: new Map<string, Route>() }
  const prefixed = routes.filter((r) => r.isPrefix)
  for (const r of routes) if (!r.isPrefix) exact[r.method].set(r.path, r)
  let draining = false

  const find = (method: string | undefined, path: string): Route | MlflowError => {
    const table = method === 'POST' ? exact.POST : method === 'GET' ? exact.GET : undefined
    const hit = table?.get(path) ?? prefixed.find((r) => r.method === method && path.startsWith(r.path))
    if (hit !== undefined) return hit
    const elsewhere = exact.GET.has(path) || exact.POST.has(path) || prefixed.some((r) => path.startsWith(r.path))
    return elsewhere ? new MlflowError('METHOD_NOT_ALLOWED', 'method not allowed on this route') : new MlflowError('ENDPOINT_NOT_FOUND', 'no such route')
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now()
    metrics.inflight++
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const id = accessLog.requestId(req.headers['x-request-id'] as string | undefined)
    const found = find(req.method, path)
    const route = found instanceof MlflowError ? undefined : found
    const label = route?.label ?? 'unmatched'
    const errors = route?.errors ?? errorsForPath(path)
    let entry: ModelEntry | undefined
    let bytesIn = 0

    const send = (reply: Reply, errorMessage?: string) => {
      const headers = [
        'content-type',
        reply.contentType,
        'content-length',
        String(reply.encoding === 'latin1' ? reply.body.length : Buffer.byteLength(reply.body)),
        'x-request-id',
        id,
        'x-content-type-options',
        'nosniff',
      ]
      if (entry?.version !== undefined) headers.push('x-wharf-model-version', entry.version)
      if (reply.headers !== undefined) headers.push(...reply.headers)
      if (reply.status === 401) headers.push('www-authenticate', 'Bearer')
      if (draining || reply.status === 413) headers.push('connection', 'close')
      res.writeHead(reply.status, headers)
      if (reply.encoding === undefined) res.end(reply.body)
      else res.end(reply.body, reply.encoding)
      metrics.inflight--
      const seconds = (performance.now() - started) / 1000
      metrics.observe(label, entry?.version ?? slot.current?.version, reply.status, seconds)
      if (accessLog.isSampled(reply.status))
        accessLog.record({
          requestId: id,
          method: req.method ?? '',
          route: label,
          status: reply.status,
          durationMs: seconds * 1000,
          version: entry?.version,
          bytesIn,
          ...(errorMessage ? { error: errorMessage } : {}),
        })
      if (route?.needsModel && entry !== undefined) slot.release(entry)
    }
    const fail = (err: unknown) => {
      const e = toServingError(err, logger)
      send(errors(e), e.message)
    }
    const run = (ctx: RequestContext) => {
      let reply: Reply | Promise<Reply>
      try {
        reply = route!.handle(ctx)
      } catch (err) {
        return fail(err)
      }
      if (reply instanceof Promise) reply.then((r) => send(r), fail)
      else send(reply)
    }

    if (route === undefined) return fail(found)
    if (!guard.isAllowedHost(req.headers.host))
      return fail(new MlflowError('PERMISSION_DENIED', 'Invalid Host header - possible DNS rebinding attack detected'))
    if (!guard.isAllowedOrigin(req.headers.origin)) return fail(new MlflowError('PERMISSION_DENIED', 'Cross-origin request blocked'))
    if (!route.isOpen && !(route === metricsRoute ? keys.checkMetrics(req.headers.authorization, metricsKeyOf(req)) : keys.check(req.headers.authorization)))
      return fail(new MlflowError('UNAUTHENTICATED', 'a valid API key is required: Authorization: Bearer <key>'))
    if (route.needsModel) {
      entry = slot.acquire()
      if (entry === undefined || !entry.predictor.isReady) return fail(new MlflowError('TEMPORARILY_UNAVAILABLE', 'the model is not loaded yet'))
    } else entry = slot.current
    if (req.method !== 'POST') return run({ entry, slot, path, body: undefined, contentType: undefined, headers: req.headers })
    readBody(req, maxBodyBytes, (err, body) => {
      bytesIn = body.length
      if (err !== undefined) return fail(err)
      run({ entry, slot, path, body, contentType: req.headers['content-type'], headers: req.headers })
    })
  }

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 60_000, headersTimeout: 20_000 }, handler)
  return {
    server,
    drain: async (timeoutMs) => {
      draining = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs)
      await closed
      clearTimeout(deadline)
    },
  }
}
