import { createServer } from 'node:http'
import { GrpcPassThrough } from './grpc-pass-through.js'
import { predictionLine } from './kubernetes/prediction-lines.js'
import { parseRouteConfig, type RouteConfig, shadowLine } from './kubernetes/route-config.js'
import type { PredictionTap } from './prediction-tap.js'
import { TrafficRouter } from './router.js'

export interface RouteProcessOptions {
  readonly host: string
  readonly port: number
  readonly healthPort: number
  /** Where gRPC connections are taken when the configuration names a gRPC target. */
  readonly grpcPort: number
  readonly config: string
  readonly drainTimeoutMs: number
}

/** Sampled predictions as marked lines on stdout, for the control plane to harvest from the pod's log. */
function logTap(capture: RouteConfig['capture']): PredictionTap | undefined {
  if (!capture) return undefined
  return {
    shouldCapture: () => Math.random() < capture.sampleRate,
    capture: (p) => {
      const line = predictionLine(p)
      if (line) process.stdout.write(`${line}\n`)
    },
  }
}

/**
 * `wharf route`: the traffic router as a process of its own, in front of an endpoint's versions in a
 * Kubernetes cluster. Configuration comes from WHARF_ROUTE_CONFIG (a change rolls the router's pods);
 * shadow comparisons and sampled predictions (REST and gRPC ModelInfer) go to stdout for the control
 * plane to collect; gRPC calls pass through to the live version; /ready and /live on the health port. On SIGTERM it
 * drains: answers say `Connection: close` until its connections are gone.
 */
export async function runRouteProcess(options: RouteProcessOptions): Promise<void> {
  const config = parseRouteConfig(options.config)
  const tap = logTap(config.capture)
  const router = new TrafficRouter({
    host: options.host,
    port: options.port,
    keepAliveTimeoutMs: 10_000,
    shadowLog: { append: (record) => process.stdout.write(`${shadowLine(record)}\n`) },
    predictionTap: tap,
  })
  router.setTraffic({ targets: config.targets, shadow: config.shadow })
  await router.listen()
  let grpc: GrpcPassThrough | undefined
  if (config.grpc) {
    grpc = new GrpcPassThrough({ host: options.host, port: options.grpcPort, tap })
    grpc.setTarget(config.grpc.port, config.grpc.host)
    await grpc.listen()
  }
  let isStopping = false
  const health = createServer((req, res) => {
    const ok = req.url === '/live' || (req.url === '/ready' && !isStopping && config.targets.some((t) => t.weight > 0))
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n')
  })
  await new Promise<void>((resolve) => health.listen(options.healthPort, options.host, resolve))
  process.stderr.write(
    `wharf route: ${config.targets.map((t) => `v${t.version} ${t.weight}%`).join(', ')}${config.shadow ? `, shadow v${config.shadow.version} ${config.shadow.percent}%` : ''} on port ${options.port}${config.grpc ? `, gRPC v${config.grpc.version} on port ${options.grpcPort}` : ''}${config.capture ? `, ${config.capture.sampleRate * 100}% of predictions logged for monitoring` : ''}\n`,
  )
  await new Promise<void>((resolve) => {
    const stop = () => {
      isStopping = true
      // gRPC clients reconnect (through the Service, to another router pod) on UNAVAILABLE.
      void Promise.all([router.shutdown(options.drainTimeoutMs), grpc?.close()]).then(() => health.close(() => resolve()))
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
}
