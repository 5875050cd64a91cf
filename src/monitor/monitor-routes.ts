import { z } from 'zod'
import { routeBuilders } from '../http/route.js'
import { int64 } from '../http/wire-schema.js'
import { toWireDirectDelivery } from '../registry/index.js'
import type { MonitorService, DriftReport } from './monitor-service.js'

const { get } = routeBuilders<unknown>()

const name = z.string().min(1).max(256)
const version = z.union([z.string().regex(/^\d+$/, 'expected a version number'), z.number().int().min(1).transform(String)])

/** `wharf monitor --json` prints this shape (issue #18): features, prediction, window. */
export const toWireDrift = (r: DriftReport) => ({
  model_name: r.model,
  environment: r.environment,
  version: r.version,
  features: r.features.map((f) => ({ name: f.name, psi: f.psi, ks: f.ks, rows: f.rows })),
  prediction: { psi: r.prediction.psi, rows: r.prediction.rows, baseline_rows: r.prediction.baselineRows },
  window: { rows: r.window.rows, capacity: r.window.capacity, rows_seen: r.window.rowsSeen, from_time: r.window.fromTime, to_time: r.window.toTime },
  thresholds: { psi: r.thresholds.psi, ks: r.thresholds.ks, min_rows: r.thresholds.minRows },
  breaches: r.breaches.map((b) => ({ kind: b.kind, feature: b.feature ?? null, value: b.value, threshold: b.threshold })),
})

/** Drift of a deployed model and the alerts it raised, under /api/2.0/wharf. */
export function monitorRoutes(monitor: MonitorService) {
  return [
    get('/monitoring/drift', z.object({ environment: name, model_name: name, version: version.optional() }), async (q) =>
      toWireDrift(await monitor.drift(q.environment, q.model_name, q.version)),
    ),
    get('/monitoring/alerts', z.object({ environment: name, model_name: name, max_results: int64.optional() }), async (q) => ({
      alerts: (await monitor.alerts(q.environment, q.model_name, q.max_results ?? 100)).map(toWireDirectDelivery),
    })),
  ]
}
