import { ApiClient, type JsonObject } from '../client/index.js'

/**
 * The deployment REST API from the command line (`/api/2.0/wharf/deployments/...` on the server
 * named by WHARF_TRACKING_URI / MLFLOW_TRACKING_URI). The CLI sends HTTP Basic credentials with the
 * user name (WHARF_USER, else the login name) and the token as password, so changes are recorded
 * with who made them and authenticated servers accept them.
 */
export interface DeployClientOptions {
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
  readonly user: string
}

export type Json = JsonObject

export class DeployClient {
  readonly #api: ApiClient
  readonly #notFoundHint: string

  constructor(options: DeployClientOptions) {
    this.#api = new ApiClient({ ...options, userAgent: 'wharf-cli' })
    this.#notFoundHint = `the server at ${this.#api.baseUri} has no deployment API (is it a wharf server with a SQLite store?)`
  }

  get(path: string, query: Record<string, string | number | undefined> = {}): Promise<Json> {
    return this.#api.get(`wharf/deployments/${path}`, query, this.#notFoundHint)
  }

  post(path: string, body: Record<string, unknown>): Promise<Json> {
    return this.#api.post(`wharf/deployments/${path}`, body, this.#notFoundHint)
  }
}

const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000))
  if (s < 120) return `${s}s ago`
  if (s < 7200) return `${Math.round(s / 60)}m ago`
  return `${Math.round(s / 3600)}h ago`
}

/** One line per change: time, actor, action, model, environment, from → to. */
export function formatChange(c: Json): string {
  const from = c.from_version ?? '-'
  const to = c.to_version ?? '-'
  const shadow = c.data?.traffic?.shadow ? ` (shadow v${c.data.traffic.shadow.version} ${c.data.traffic.shadow.percent}%)` : ''
  return `${new Date(c.time).toISOString()}  ${c.actor}  ${c.action} ${c.model_name} in ${c.environment}: v${from} → v${to}${shadow}`
}

/** The table `wharf deployments` prints. */
export function formatEndpoints(endpoints: readonly Json[]): string[] {
  if (endpoints.length === 0) return ['no deployments']
  // The GRPC column only when some endpoint serves gRPC (environments with `grpc: true`).
  const hasGrpc = endpoints.some((e) => e.grpc_url)
  const rows = [['ENVIRONMENT', 'MODEL', 'TARGET', 'LIVE', 'SINCE', 'HEALTH', 'TRAFFIC', 'ENDPOINT', ...(hasGrpc ? ['GRPC'] : [])]]
  for (const e of endpoints) {
    const weights = Object.entries(e.traffic.weights as Record<string, number>)
      .filter(([, w]) => w > 0)
      .map(([v, w]) => `v${v}:${w}%`)
    if (e.traffic.shadow) weights.push(`shadow v${e.traffic.shadow.version}:${e.traffic.shadow.percent}%`)
    rows.push([
      e.environment,
      e.model_name,
      e.target,
      e.live_version ? `v${e.live_version}` : '-',
      e.since ? ago(e.since) : '-',
      e.health,
      weights.join(' ') || '-',
      e.url ?? '-',
      ...(hasGrpc ? [e.grpc_url ?? '-'] : []),
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const table = rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  )
  return [...table, ...endpoints.flatMap(clusterLines)]
}

/** Kubernetes endpoints: replicas wanted and ready per version, rollout state, recent warnings. */
function clusterLines(e: Json): string[] {
  const versions = (e.instances as Json[]).filter((i) => i.replicas)
  if (versions.length === 0 && !e.warnings?.length) return []
  return [
    `${e.environment}/${e.model_name}:`,
    ...versions.map((i) =>
      `  v${i.version}  ${i.role.padEnd(7)}  ${i.replicas.ready}/${i.replicas.desired} ready  ${i.rollout ?? ''}  ${i.image ?? ''}`.trimEnd(),
    ),
    ...(e.warnings ?? []).map((w: string) => `  warning: ${w}`),
  ]
}
