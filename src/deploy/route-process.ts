import { createServer } from 'node:http'
import { parseRouteConfig, shadowLine } from './kubernetes/route-config.js'
import { TrafficRouter } from './router.js'

export interface RouteProcessOptions {
  readonly host: string
  readonly port: number
  readonly healthPort: number
  readonly config: string
  readonly drainTimeoutMs: number
}

/**
 * `wharf route`: the traffic router as a process of its own, in front of an endpoint's versions in a
 * Kubernetes cluster. Configuration comes from WHARF_ROUTE_CONFIG (a change rolls the router's pods);
 * shadow comparisons go to stdout for the control plane to collect; /ready and /live on the health
 * port. On SIGTERM it drains: answers say `Connection: close` until its connections are gone.
 */
export async function runRouteProcess(options: RouteProcessOptions): Promise<void> {
  const traffic = parseRouteConfig(options.config)
  const router = new TrafficRouter({
    host: options.host,
    port: options.port,
    keepAliveTimeoutMs: 10_000,
    shadowLog: { append: (record) => process.stdout.write(`${shadowLine(record)}\n`) },
  })
  router.setTraffic(traffic)
  await router.listen()
  let isStopping = false
  const health = createServer((req, res) => {
    const ok = req.url === '/live' || (req.url === '/ready' && !isStopping && traffic.targets.some((t) => t.weight > 0))
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n')
  })
  await new Promise<void>((resolve) => health.listen(options.healthPort, options.host, resolve))
  process.stderr.write(
    `wharf route: ${traffic.targets.map((t) => `v${t.version} ${t.weight}%`).join(', ')}${traffic.shadow ? `, shadow v${traffic.shadow.version} ${traffic.shadow.percent}%` : ''} on port ${options.port}\n`,
  )
  await new Promise<void>((resolve) => {
    const stop = () => {
      isStopping = true
      void router.shutdown(options.drainTimeoutMs).then(() => health.close(() => resolve()))
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
}
