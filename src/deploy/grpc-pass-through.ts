import { type ClientHttp2Session, connect as connectHttp2, createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { proxyGrpcStream, unavailable } from './grpc-stream-proxy.js'
import type { PredictionTap } from './prediction-tap.js'

/**
 * An endpoint's gRPC port: a TCP pass-through to the gRPC port of its live version. The HTTP
 * router cannot split gRPC traffic (HTTP/2 streams multiplexed on long-lived connections), so
 * gRPC follows the live version only: no canary weights, no shadow copies. Each connection is
 * piped as is (the instance checks the endpoint key in the `authorization` metadata itself).
 *
 * When the live version changes, connections to the old one are closed: a gRPC client keeps one
 * connection for all its calls, so leaving them open would keep it on the old version for as
 * long as it lives. Its next call reconnects, to the new version; a call in flight at that
 * moment fails with UNAVAILABLE, which gRPC clients retry.
 *
 * With a monitoring tap (an environment that monitors predictions), connections are not piped as
 * bytes but read as HTTP/2: each call is its own stream, passed to one HTTP/2 session with the live
 * version (grpc-stream-proxy.ts), so that ModelInfer calls are sampled into prediction logging and
 * drift as REST requests are. Without a tap the path stays a plain TCP pipe, the cheapest there is.
 */
export class GrpcPassThrough {
  readonly #server: Server | Http2Server
  readonly #host: string
  readonly #port: number
  readonly #tap: PredictionTap | undefined
  #target: number | undefined
  #targetHost = '127.0.0.1'
  /** Open client connections, each with the instance address it is piped to. */
  readonly #connections = new Map<Socket, { readonly upstream: Socket; readonly target: string }>()
  /** With a tap: client sessions, each with the address its calls go to, and the session to the live version. */
  readonly #sessions = new Map<ServerHttp2Session, string>()
  #upstream: { readonly session: ClientHttp2Session; readonly target: string } | undefined

  constructor(options: { readonly host: string; readonly port: number; readonly tap?: PredictionTap | undefined }) {
    this.#host = options.host
    this.#port = options.port
    this.#tap = options.tap
    if (options.tap === undefined) this.#server = createServer((socket) => this.#accept(socket))
    else {
      const server = createHttp2Server()
      server.on('session', (session) => this.#acceptSession(session))
      server.on('stream', (stream, headers) => {
        const upstream = this.#upstreamSession()
        if (upstream === undefined) unavailable(stream, 'no version of this endpoint is live')
        else proxyGrpcStream(stream, headers, upstream, this.#tap)
      })
      this.#server = server
    }
  }

  /** Listens; resolves to the port (the chosen one when asked for 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(this.#port, this.#host, () => {
        this.#server.off('error', reject)
        resolve((this.#server.address() as { port: number }).port)
      })
    })
  }

  /**
   * The live instance's gRPC port (on `host`: loopback for local instances, the live version's
   * Service in a cluster), or undefined when no version is live (connections are refused).
   */
  setTarget(port: number | undefined, host = '127.0.0.1'): void {
    if (port === this.#target && host === this.#targetHost) return
    this.#target = port
    this.#targetHost = host
    const address = `${host}:${port}`
    for (const [socket, link] of this.#connections) if (link.target !== address) close(socket, link.upstream)
    for (const [session, target] of this.#sessions) if (target !== address) session.close()
    if (this.#upstream !== undefined && this.#upstream.target !== address) {
      this.#upstream.session.close()
      this.#upstream = undefined
    }
  }

  get target(): number | undefined {
    return this.#target
  }

  async close(): Promise<void> {
    for (const [socket, link] of this.#connections) close(socket, link.upstream)
    for (const session of this.#sessions.keys()) session.destroy()
    this.#upstream?.session.destroy()
    this.#upstream = undefined
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** A client's HTTP/2 session (tap mode): closed when the live version changes, as piped connections are. */
  #acceptSession(session: ServerHttp2Session): void {
    this.#sessions.set(session, `${this.#targetHost}:${this.#target}`)
    session.once('close', () => this.#sessions.delete(session))
    session.on('error', () => session.destroy())
  }

  /** One HTTP/2 session to the live version, opened on first use and again after it ends. */
  #upstreamSession(): ClientHttp2Session | undefined {
    if (this.#target === undefined) return undefined
    const target = `${this.#targetHost}:${this.#target}`
    const current = this.#upstream
    if (current !== undefined && current.target === target && !current.session.closed && !current.session.destroyed) return current.session
    const session = connectHttp2(`http://${target}`)
    session.on('error', () => session.destroy())
    session.once('close', () => {
      if (this.#upstream?.session === session) this.#upstream = undefined
    })
    this.#upstream = { session, target }
    return session
  }

  #accept(socket: Socket): void {
    const target = this.#target
    if (target === undefined) {
      socket.destroy()
      return
    }
    const host = this.#targetHost
    const upstream = connect(target, host)
    this.#connections.set(socket, { upstream, target: `${host}:${target}` })
    const done = () => {
      this.#connections.delete(socket)
      close(socket, upstream)
    }
    socket.once('close', done)
    upstream.once('close', done)
    // A reset on either side ends both; the client sees UNAVAILABLE and reconnects.
    socket.on('error', done)
    upstream.on('error', done)
    socket.setNoDelay(true)
    upstream.setNoDelay(true)
    socket.pipe(upstream)
    upstream.pipe(socket)
  }
}

function close(a: Socket, b: Socket): void {
  a.destroy()
  b.destroy()
}
