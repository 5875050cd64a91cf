import type { Command } from 'commander'
import { loadConfig } from '../config.js'

export function register(program: Command): void {
  program
    .command('route', { hidden: true })
    .description("Wharf's traffic router, as Kubernetes router pods run it (targets from WHARF_ROUTE_CONFIG).")
    .option('--host <host>', 'address to bind (default 0.0.0.0: the pod network)')
    .option('--port <port>', 'port (default 8080)')
    .option('--health-port <port>', 'port of /ready and /live (default 8081)')
    .option('--grpc-port <port>', 'port gRPC connections are passed through on to the live version (default 8082)')
    .action((flags) => runRoute(flags, loadConfig().routeConfig))
}

/** `wharf route`: the traffic router in front of a Kubernetes endpoint's versions (run by Wharf's router pods). */
async function runRoute(flags: { host?: string; port?: string; healthPort?: string; grpcPort?: string }, config: string | undefined): Promise<void> {
  if (!config) throw new Error('WHARF_ROUTE_CONFIG is not set: the router needs its targets (Wharf sets it in the router pods)')
  const port = (raw: string | undefined, fallback: number, name: string) => {
    const n = raw === undefined ? fallback : Number(raw)
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number, got '${raw}'`)
    return n
  }
  // Straight to the module, not deploy/index.ts: router pods start without the control plane's code.
  const { runRouteProcess } = await import('../deploy/route-process.js')
  await runRouteProcess({
    host: flags.host ?? '0.0.0.0',
    port: port(flags.port, 8080, '--port'),
    healthPort: port(flags.healthPort, 8081, '--health-port'),
    grpcPort: port(flags.grpcPort, 8082, '--grpc-port'),
    config,
    drainTimeoutMs: 25_000,
  })
}
