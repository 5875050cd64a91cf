import { ApiClient, type JsonObject } from '../client/index.js'

export interface MonitorClientOptions {
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
  readonly user: string
}

/** The monitoring REST API (`/api/2.0/wharf/monitoring/...`) from the command line. */
export class MonitorClient {
  readonly #api: ApiClient

  constructor(options: MonitorClientOptions) {
    this.#api = new ApiClient({ ...options, userAgent: 'wharf-cli' })
  }

  drift(environment: string, modelName: string, version?: string): Promise<JsonObject> {
    return this.#api.get('wharf/monitoring/drift', { environment, model_name: modelName, version }, `the server at ${this.#api.baseUri} has no monitoring API`)
  }
}

const fixed = (v: unknown, digits = 3) => (typeof v === 'number' ? v.toFixed(digits) : '-')

/** The table `wharf monitor` prints: one line per feature, then the prediction and the window. */
export function formatDrift(report: JsonObject, table: (header: readonly string[], rows: readonly (readonly string[])[]) => string[]): string[] {
  const thresholds = report.thresholds as { psi: number; ks: number }
  const breached = new Set((report.breaches as { kind: string; feature: string | null }[]).map((b) => `${b.kind}:${b.feature ?? ''}`))
  const flag = (kind: string, feature = '') => (breached.has(`${kind}:${feature}`) ? ' !' : '')
  const rows = (report.features as { name: string; psi: number | null; ks: number | null; rows: number }[]).map((f) => [
    f.name,
    fixed(f.psi) + flag('feature_psi', f.name),
    fixed(f.ks) + flag('feature_ks', f.name),
    String(f.rows),
  ])
  const prediction = report.prediction as { psi: number | null; rows: number }
  const window = report.window as { rows: number; capacity: number; from_time: number | null; to_time: number | null }
  const span =
    window.from_time !== null && window.to_time !== null ? ` from ${new Date(window.from_time).toISOString()} to ${new Date(window.to_time).toISOString()}` : ''
  return [
    `${report.model_name} v${report.version} in ${report.environment}: ${window.rows} of ${window.capacity} rows${span}`,
    ...table(['FEATURE', 'PSI', 'KS', 'ROWS'], [...rows, ['(prediction)', fixed(prediction.psi) + flag('prediction_psi'), '-', String(prediction.rows)]]),
    `thresholds: PSI > ${thresholds.psi}, KS > ${thresholds.ks} (! marks a breach)`,
  ]
}
