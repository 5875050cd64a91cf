import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errorBody, MlflowError, unavailable } from '../errors.js'
import { HostGuard } from '../http/host-guard.js'
import { readRequestBody } from '../http/request-body.js'
import { comparePredictions } from './agreement.js'
import type { PredictionTap } from './prediction-tap.js'
import type { ShadowRecord } from './shadow-log.js'

export interface RouteTarget {
  readonly version: string
  /** 127.0.0.1 unless given (in a cluster: the version's Service address). */
  readonly host?: string | undefined
  readonly port: number
  readonly weight: number
}

export interface RouterTraffic {
  readonly targets: readonly RouteTarget[]
  readonly shadow?: { readonly version: string; readonly host?: string | undefined; readonly port: number; readonly percent: number } | undefined
}

export interface RouterOptions {
  readonly host: string
  readonly port: number
  /** Where shadowed requests and their comparison go (a ShadowLog file, or stdout in a cluster). */
  readonly shadowLog?: { append(record: ShadowRecord): void } | undefined
  /** Where sampled requests and their answers go for prediction logging and drift (monitor/). */
  readonly predictionTap?: PredictionTap | undefined
  /** How long a request may wait for a backend that refuses connections (one restarting). */
  readonly retryBudgetMs?: number
  /** Idle keep-alive connections close after this (the Keep-Alive header tells clients). */
  readonly keepAliveTimeoutMs?: number
  readonly random?: () => number
  /** Host names besides its own the router answers (--allowed-hosts), as `wharf serve` takes them. */
  readonly allowedHosts?: readonly string[]
  /** Browser origins besides localhost allowed to POST (--cors-allowed-origins). */
  readonly allowedOrigins?: readonly string[]
  /** Larger request bodies get 413 (default 10 MiB, `wharf serve`'s limit). */
  readonly maxBodyBytes?: number
}

interface Upstream {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly stream: IncomingMessage
}

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'host',
  'content-length',
])
const forwardable = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).filter(([k]) => !hopByHop.has(k)))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Refusals in the shape of the tracking and scoring servers: `{error_code, message}` with the code's status. */
function refuse(res: ServerResponse, err: MlflowError): void {
  res.writeHead(err.status, { 'content-type': 'application/json', ...(err.status === 413 ? { connection: 'close' } : {}) }).end(JSON.stringify(errorBody(err)))
}

/**
 * The HTTP router in front of an endpoint's versions (node:http, keep-alive agents): picks a
 * version by weight for each request, retries on another pick when a backend refuses the
 * connection (so switching and draining lose no request), and copies a share of requests to a
 * shadow version whose answers are only logged and compared, never returned.
 */
export class TrafficRouter {
  readonly #options: RouterOptions
  readonly #guard: HostGuard
  readonly #agents = new Map<string, Agent>()
  readonly #inFlight = new Map<string, number>()
  #traffic: RouterTraffic = { targets: [] }
  #server: Server | undefined
  #isDraining = false

  constructor(options: RouterOptions) {
    this.#options = options
    // The same DNS-rebinding and cross-origin checks `wharf serve` makes: a page in a browser must
    // not reach an endpoint on localhost through a name it controls.
    this.#guard = new HostGuard({
      bindHost: options.host,
      allowedHosts: options.allowedHosts ?? [],
      allowedOrigins: options.allowedOrigins ?? [],
      hostCheck: 'loopback',
    })
  }

  get traffic(): RouterTraffic {
    return this.#traffic
  }

  async listen(): Promise<number> {
    const server = createServer({ keepAlive: true }, (req, res) => void this.#handle(req, res))
    server.keepAliveTimeout = this.#options.keepAliveTimeoutMs ?? 65_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#options.port, this.#options.host, resolve)
    })
    this.#server = server
    return (server.address() as AddressInfo).port
  }

  /** Takes effect for the next request; requests already sent finish where they are. */
  setTraffic(traffic: RouterTraffic): void {
    this.#traffic = traffic
  }

  inFlight(port: number, host = '127.0.0.1'): number {
    return this.#inFlight.get(`${host}:${port}`) ?? 0
  }

  /** Waits until no request is in flight to `port` (or `timeoutMs` passed), then drops its connections. */
  async drain(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.inFlight(port, host) > 0 && Date.now() < deadline) await sleep(10)
    this.#agents.get(`${host}:${port}`)?.destroy()
    this.#agents.delete(`${host}:${port}`)
  }

  /**
   * Stops taking part, without losing a request: answers carry `Connection: close` so clients move
   * to another router, and the server closes once its connections have gone (or `timeoutMs` passed).
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#isDraining = true
    const server = this.#server
    if (server) {
      const deadline = Date.now() + timeoutMs
      const open = () => new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)))
      while ((await open()) > 0 && Date.now() < deadline) await sleep(50)
    }
    await this.close()
  }

  async close(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (server) {
      await new Promise((resolve) => {
        server.close(resolve)
        server.closeAllConnections()
      })
    }
    for (const agent of this.#agents.values()) agent.destroy()
    this.#agents.clear()
  }

  #pick(): RouteTarget | undefined {
    const targets = this.#traffic.targets.filter((t) => t.weight > 0)
    const total = targets.reduce((sum, t) => sum + t.weight, 0)
    let r = (this.#options.random ?? Math.random)() * total
    for (const t of targets) {
      r -= t.weight
      if (r < 0) return t
    }
    return targets.at(-1)
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.#guard.isAllowedHost(req.headers.host))
      return refuse(res, new MlflowError('PERMISSION_DENIED', 'Invalid Host header - possible DNS rebinding attack detected'))
    if (!this.#guard.isAllowedOrigin(req.headers.origin)) return refuse(res, new MlflowError('PERMISSION_DENIED', 'Cross-origin request blocked'))
    let body: Buffer
    try {
      body = await readRequestBody(req, this.#options.maxBodyBytes ?? 10 * 1024 * 1024)
    } catch (err) {
      if (err instanceof MlflowError) return refuse(res, err)
      return void res.destroy() // the client went away mid-body
    }
    const shadow = this.#traffic.shadow
    const isShadowed = shadow !== undefined && req.method === 'POST' && (this.#options.random ?? Math.random)() * 100 < shadow.percent
    const tap = this.#options.predictionTap
    const isCaptured = tap !== undefined && req.method === 'POST' && tap.shouldCapture()
    const arrived = Date.now()
    const deadline = arrived + (this.#options.retryBudgetMs ?? 5000)
    for (let attempt = 0; ; attempt++) {
      const target = this.#pick()
      if (!target) return refuse(res, unavailable('no version is deployed behind this endpoint'))
      const key = `${target.host ?? '127.0.0.1'}:${target.port}`
      this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1)
      try {
        const upstream = await this.#send(target.host ?? '127.0.0.1', target.port, req.method ?? 'GET', req.url ?? '/', req.headers, body)
        res.writeHead(upstream.status, {
          ...forwardable(upstream.headers),
          'x-wharf-routed-version': target.version,
          ...(this.#isDraining ? { connection: 'close' } : {}),
        })
        if (!isShadowed && !isCaptured) {
          await new Promise<void>((resolve) => {
            upstream.stream.pipe(res)
            upstream.stream.once('end', resolve)
            upstream.stream.once('error', () => resolve(void res.destroy()))
            res.once('close', resolve)
          })
          return
        }
        const answer = await readAll(upstream.stream)
        res.end(answer)
        if (isShadowed) void this.#shadow(shadow, target.version, req, body, upstream.status, answer)
        if (isCaptured) {
          const requestId = String(upstream.headers['x-request-id'] ?? req.headers['x-request-id'] ?? '')
          tap.capture({ time: arrived, requestId, version: target.version, path: req.url ?? '/', status: upstream.status, request: body, response: answer })
        }
        return
      } catch (err) {
        if (Date.now() > deadline || res.headersSent) {
          if (!res.headersSent) refuse(res, new MlflowError('BAD_GATEWAY', `no version answered: ${(err as Error).message}`))
          else res.destroy()
          return
        }
        await sleep(Math.min(20 * 2 ** attempt, 200))
      } finally {
        this.#inFlight.set(key, (this.#inFlight.get(key) ?? 1) - 1)
      }
    }
  }

  #agent(host: string, port: number): Agent {
    let agent = this.#agents.get(`${host}:${port}`)
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32, timeout: 60_000 })
      this.#agents.set(`${host}:${port}`, agent)
    }
    return agent
  }

  #send(host: string, port: number, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          host,
          port,
          method,
          path,
          agent: this.#agent(host, port),
          headers: { ...forwardable(headers), host: `${host}:${port}`, 'content-length': String(body.length) },
        },
        (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, stream: res }),
      )
      upstream.once('error', reject)
      upstream.end(body)
    })
  }

  async #shadow(
    shadow: NonNullable<RouterTraffic['shadow']>,
    liveVersion: string,
    req: IncomingMessage,
    body: Buffer,
    liveStatus: number,
    liveAnswer: Buffer,
  ): Promise<void> {
    const log = this.#options.shadowLog
    let shadowStatus: number | undefined, shadowAnswer: Buffer | undefined, shadowError: string | undefined
    try {
      const upstream = await this.#send(shadow.host ?? '127.0.0.1', shadow.port, req.method ?? 'POST', req.url ?? '/', req.headers, body)
      shadowStatus = upstream.status
      shadowAnswer = await readAll(upstream.stream)
    } catch (err) {
      shadowError = (err as Error).message
    }
    const isComparable = liveStatus === 200 && shadowStatus === 200 && shadowAnswer !== undefined
    const comparison = isComparable ? comparePredictions(parseJson(liveAnswer), parseJson(shadowAnswer!)) : undefined
    log?.append({
      time: Date.now(),
      liveVersion,
      shadowVersion: shadow.version,
      liveStatus,
      shadowStatus,
      shadowError,
      request: body.toString('utf8'),
      live: liveAnswer.toString('utf8'),
      shadow: shadowAnswer?.toString('utf8'),
      comparison,
    })
  }
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function parseJson(buffer: Buffer): unknown {
  try {
    return JSON.parse(buffer.toString('utf8'))
  } catch {
    return undefined
  }
}
