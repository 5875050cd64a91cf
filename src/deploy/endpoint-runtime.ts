import { type Instance, liveVersionOf, type Traffic } from './entities.js'
import type { GrpcPassThrough } from './grpc-pass-through.js'
import type { GrpcPorts } from './grpc-ports.js'
import type { RouterTraffic, TrafficRouter } from './router.js'
import type { ShadowLog } from './shadow-log.js'
import type { Supervisor } from './supervisor.js'

/** What the control plane holds in memory for one local or container endpoint. */
export class EndpointRuntime {
  readonly supervisors = new Map<string, Supervisor>()
  #queue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly router: TrafficRouter,
    readonly shadowLog: ShadowLog,
    readonly routerPort: number,
    /** gRPC environments: the pass-through to the live version, and the ports it knows of. */
    readonly grpc?: { readonly passThrough: GrpcPassThrough; readonly port: number; readonly ports: GrpcPorts; readonly file: string } | undefined,
  ) {}

  /** Runs operations on this endpoint one at a time, in order. */
  serialize<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(operation, operation)
    this.#queue = next.catch(() => {})
    return next
  }

  /** The router's view of stored traffic: versions → the ports of their instances. */
  applyTraffic(traffic: Traffic, instances: readonly Instance[]): void {
    const portOf = (version: string) => instances.find((i) => i.version === version)?.port
    const targets = Object.entries(traffic.weights).flatMap(([version, weight]) => {
      const port = portOf(version)
      return port === undefined ? [] : [{ version, port, weight }]
    })
    const shadowPort = traffic.shadow && portOf(traffic.shadow.version)
    const routed: RouterTraffic = {
      targets,
      shadow: traffic.shadow && shadowPort !== undefined ? { version: traffic.shadow.version, port: shadowPort, percent: traffic.shadow.percent } : undefined,
    }
    this.router.setTraffic(routed)
    // gRPC goes to the live version only (see grpc-pass-through.ts).
    if (this.grpc) {
      const live = liveVersionOf(traffic)
      const instance = live === undefined ? undefined : instances.find((i) => i.version === live)
      this.grpc.passThrough.setTarget(instance && this.grpc.ports.instances.get(instance.instanceId))
    }
  }

  async close(): Promise<void> {
    for (const supervisor of this.supervisors.values()) supervisor.detach()
    await this.router.close()
    await this.grpc?.passThrough.close()
    await this.shadowLog.close()
  }
}
