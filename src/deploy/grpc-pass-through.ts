import { connect, createServer, type Server, type Socket } from 'node:net'
import { sampleGrpcCalls } from './grpc-call-sampler.js'
import { FrameBoundaries, goawayFrame } from './http2-frames.js'
import type { PredictionTap } from './prediction-tap.js'

/**
 * An endpoint's gRPC port: a TCP pass-through to the gRPC port of its live version. The HTTP
 * router cannot split gRPC traffic (HTTP/2 streams multiplexed on long-lived connections), so
 * gRPC follows the live version only: no canary weights, no shadow copies. Each connection is
 * piped as is (the instance checks the endpoint key in the `authorization` metadata itself).
 *
 * When the live version changes, connections to the old one are drained: a gRPC client keeps one
 * connection for all its calls, so leaving them open would keep it on the old version for as long
 * as it lives. The pass-through puts a GOAWAY frame between two of the old instance's frames, as a
 * gRPC server going away does: calls in flight finish on the old version, the client opens its next
 * call on a new connection, to the new version, and one it had already sent past the GOAWAY's last
 * stream is refused and retried there by the client (gRPC's transparent retry). The client closes
 * the drained connection when its calls are done; one still open after `drainMs` is closed. Closing
 * at once instead failed a call made right after the switch with UNAVAILABLE whenever the client had
 * not yet seen the close.
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
  readonly #drainMs: number
  /** Open client connections, each with the instance address it is piped to. */
  readonly #connections = new Map<Socket, Link>()

  constructor(options: { readonly host: string; readonly port: number; readonly tap?: PredictionTap | undefined; readonly drainMs?: number }) {
    this.#host = options.host
    this.#port = options.port
    this.#tap = options.tap
    this.#drainMs = options.drainMs ?? 30_000
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
    for (const [socket, link] of this.#connections) if (link.target !== address) this.#drain(socket, link)
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
    const link: Link = {
      upstream,
      target: `${host}:${target}`,
      fromClient: new FrameBoundaries(true),
      fromUpstream: new FrameBoundaries(),
      drain: undefined,
    }
    this.#connections.set(socket, link)
    const done = () => {
      this.#connections.delete(socket)
      if (link.drain !== undefined) clearTimeout(link.drain.timer)
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
    // Read beside the pipe: the streams the client has opened (a GOAWAY names the last one).
    socket.on('data', (chunk: Buffer) => link.fromClient.feed(chunk))
    // The instance's bytes are written here rather than piped, so a GOAWAY can go between two frames.
    upstream.on('data', (chunk: Buffer) => {
      const at = link.fromUpstream.feed(chunk, link.drain?.isGoawayDue === true)
      if (at >= 0) {
        socket.write(chunk.subarray(0, at))
        this.#goaway(socket, link)
        chunk = chunk.subarray(at)
      }
      if (!socket.write(chunk)) {
        upstream.pause()
        socket.once('drain', () => upstream.resume())
      }
    })
    upstream.once('end', () => socket.end())
    if (this.#tap !== undefined) sampleGrpcCalls(socket, upstream, this.#tap)
  }

  /** Moves a connection's client off the old version: a GOAWAY now or after the frame under way; closed after `drainMs` at the latest. */
  #drain(socket: Socket, link: Link): void {
    if (link.drain !== undefined) return
    // A client that does not speak HTTP/2 cannot read a GOAWAY.
    if (link.fromClient.isBroken) {
      close(socket, link.upstream)
      return
    }
    const timer = setTimeout(() => close(socket, link.upstream), this.#drainMs)
    timer.unref()
    link.drain = { timer, isGoawayDue: true }
    if (link.fromUpstream.isAtBoundary) this.#goaway(socket, link)
  }

  #goaway(socket: Socket, link: Link): void {
    socket.write(goawayFrame(link.fromClient.lastStreamId))
    link.drain!.isGoawayDue = false
  }
}

/** A client connection piped to an instance, and what is known of its HTTP/2 frames. */
interface Link {
  readonly upstream: Socket
  readonly target: string
  readonly fromClient: FrameBoundaries
  readonly fromUpstream: FrameBoundaries
  /** Set once the live version moved away from this connection's target. */
  drain: { readonly timer: NodeJS.Timeout; isGoawayDue: boolean } | undefined
}

function close(a: Socket, b: Socket): void {
  a.destroy()
  b.destroy()
}
