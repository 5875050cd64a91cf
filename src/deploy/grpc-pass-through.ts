import { connect, createServer, type Server, type Socket } from 'node:net'
import { sampleGrpcCalls } from './grpc-call-sampler.js'
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
 * With a monitoring tap (an environment that monitors predictions), each connection is still piped
 * as bytes, and its HTTP/2 frames are read beside the pipe (grpc-call-sampler.ts) so that ModelInfer
 * calls are sampled into prediction logging and drift as REST requests are.
 */
export class GrpcPassThrough {
  readonly #server: Server
  readonly #host: string
  readonly #port: number
  readonly #tap: PredictionTap | undefined
  #target: number | undefined
  #targetHost = '127.0.0.1'
  /** Open client connections, each with the instance address it is piped to. */
  readonly #connections = new Map<Socket, { readonly upstream: Socket; readonly target: string }>()

  constructor(options: { readonly host: string; readonly port: number; readonly tap?: PredictionTap | undefined }) {
    this.#host = options.host
    this.#port = options.port
    this.#tap = options.tap
    this.#server = createServer((socket) => this.#accept(socket))
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
  }

  get target(): number | undefined {
    return this.#target
  }

  async close(): Promise<void> {
    for (const [socket, link] of this.#connections) close(socket, link.upstream)
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
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
    if (this.#tap !== undefined) sampleGrpcCalls(socket, upstream, this.#tap)
  }
}

function close(a: Socket, b: Socket): void {
  a.destroy()
  b.destroy()
}
