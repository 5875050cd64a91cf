import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errorBody, MlflowError, unavailable } from '../errors.js'
import { comparePredictions } from './agreement.js'
import type { ShadowLog } from './shadow-log.js'

export interface RouteTarget {
  readonly version: string
  readonly port: number
  readonly weight: number
}

export interface RouterTraffic {
  readonly targets: readonly RouteTarget[]
  readonly shadow?: { readonly version: string; readonly port: number; readonly percent: number } | undefined
}

export interface RouterOptions {
  readonly host: string
  readonly port: number
  readonly shadowLog?: ShadowLog | undefined
  /** How long a request may wait for a backend that refuses connections (one restarting). */
  readonly retryBudgetMs?: number
  readonly random?: () => number
}

interface Upstream {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly stream: IncomingMessage
}

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host', 'content-length'])
const forwardable = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).filter(([k]) => !hopByHop.has(k)))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The router answers in the scoring server's MLflow error shape. */
const sendError = (res: ServerResponse, err: MlflowError) => void res.writeHead(err.status, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody(err)))

/**
 * The HTTP router in front of an endpoint's versions (node:http, keep-alive agents): picks a
 * version by weight for each request, retries on another pick when a backend refuses the
 * connection (so switching and draining lose no request), and copies a share of requests to a
 * shadow version whose answers are only logged and compared, never returned.
 */
export class TrafficRouter {
  readonly #options: RouterOptions
  readonly #agents = new Map<number, Agent>()
  readonly #inFlight = new Map<number, number>()
  #traffic: RouterTraffic = { targets: [] }
  #server: Server | undefined

  constructor(options: RouterOptions) {
    this.#options = options
  }

  get traffic(): RouterTraffic {
    return this.#traffic
  }

  async listen(): Promise<number> {
    const server = createServer({ keepAlive: true }, (req, res) => void this.#handle(req, res))
    server.keepAliveTimeout = 65_000
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

  inFlight(port: number): number {
    return this.#inFlight.get(port) ?? 0
  }

  /** Waits until no request is in flight to `port` (or `timeoutMs` passed), then drops its connections. */
  async drain(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.inFlight(port) > 0 && Date.now() < deadline) await sleep(10)
    this.#agents.get(port)?.destroy()
    this.#agents.delete(port)
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
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const shadow = this.#traffic.shadow
    const isShadowed = shadow !== undefined && req.method === 'POST' && (this.#options.random ?? Math.random)() * 100 < shadow.percent
    const deadline = Date.now() + (this.#options.retryBudgetMs ?? 5000)
    for (let attempt = 0; ; attempt++) {
      const target = this.#pick()
      if (!target) return sendError(res, unavailable('no version is deployed behind this endpoint'))
      this.#inFlight.set(target.port, this.inFlight(target.port) + 1)
      try {
        const upstream = await this.#send(target.port, req.method ?? 'GET', req.url ?? '/', req.headers, body)
        res.writeHead(upstream.status, { ...forwardable(upstream.headers), 'x-wharf-routed-version': target.version })
        if (!isShadowed) {
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
        void this.#shadow(shadow, target.version, req, body, upstream.status, answer)
        return
      } catch (err) {
        if (Date.now() > deadline || res.headersSent) {
          if (!res.headersSent) sendError(res, new MlflowError('BAD_GATEWAY', `no version answered: ${(err as Error).message}`))
          else res.destroy()
          return
        }
        await sleep(Math.min(20 * 2 ** attempt, 200))
      } finally {
        this.#inFlight.set(target.port, this.inFlight(target.port) - 1)
      }
    }
  }

  #agent(port: number): Agent {
    let agent = this.#agents.get(port)
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32, timeout: 60_000 })
      this.#agents.set(port, agent)
    }
    return agent
  }

  #send(port: number, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const upstream = request(
        { host: '127.0.0.1', port, method, path, agent: this.#agent(port), headers: { ...forwardable(headers), host: `127.0.0.1:${port}`, 'content-length': String(body.length) } },
        (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, stream: res }),
      )
      upstream.once('error', reject)
      upstream.end(body)
    })
  }

  async #shadow(shadow: NonNullable<RouterTraffic['shadow']>, liveVersion: string, req: IncomingMessage, body: Buffer, liveStatus: number, liveAnswer: Buffer): Promise<void> {
    const log = this.#options.shadowLog
    let shadowStatus: number | undefined, shadowAnswer: Buffer | undefined, shadowError: string | undefined
    try {
      const upstream = await this.#send(shadow.port, req.method ?? 'POST', req.url ?? '/', req.headers, body)
      shadowStatus = upstream.status
      shadowAnswer = await readAll(upstream.stream)
    } catch (err) {
      shadowError = (err as Error).message
    }
    const isComparable = liveStatus === 200 && shadowStatus === 200 && shadowAnswer !== undefined
    const comparison = isComparable ? comparePredictions(parseJson(liveAnswer), parseJson(shadowAnswer!)) : undefined
    log?.append({
      time: Date.now(), liveVersion, shadowVersion: shadow.version, liveStatus, shadowStatus, shadowError,
      request: body.toString('utf8'), live: liveAnswer.toString('utf8'), shadow: shadowAnswer?.toString('utf8'), comparison,
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
