import type { Instance, Traffic } from './entities.js'
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
  }

  async close(): Promise<void> {
    for (const supervisor of this.supervisors.values()) supervisor.detach()
    await this.router.close()
    await this.shadowLog.close()
  }
}
