import type { DriftReport } from './drift-window.js'

/** Prometheus label values escape backslash, double quote and newline (text format 0.0.4). */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/**
 * The drift gauges in Prometheus text format: `wharf_feature_drift_psi`, `wharf_feature_drift_ks`
 * and `wharf_prediction_drift_psi` with model, version and environment (and feature) labels, plus
 * the window's size. Values not measured yet (an empty window) are left out, not written as 0.
 */
export function renderDriftMetrics(reports: readonly DriftReport[]): string {
  const psiLines: string[] = []
  const ksLines: string[] = []
  const predictionLines: string[] = []
  const rowLines: string[] = []
  for (const r of reports) {
    const base = `model="${label(r.model)}",version="${label(r.version)}",environment="${label(r.environment)}"`
    for (const f of r.features) {
      if (f.psi !== null) psiLines.push(`wharf_feature_drift_psi{${base},feature="${label(f.name)}"} ${f.psi}`)
      if (f.ks !== null) ksLines.push(`wharf_feature_drift_ks{${base},feature="${label(f.name)}"} ${f.ks}`)
    }
    if (r.prediction.psi !== null) predictionLines.push(`wharf_prediction_drift_psi{${base}} ${r.prediction.psi}`)
    rowLines.push(`wharf_drift_window_rows{${base}} ${r.window.rows}`)
  }
  return [
    '# HELP wharf_feature_drift_psi Population stability index of a feature: live window vs the training profile.',
    '# TYPE wharf_feature_drift_psi gauge',
    ...psiLines,
    '# HELP wharf_feature_drift_ks Kolmogorov-Smirnov distance of a feature: live window vs the training profile.',
    '# TYPE wharf_feature_drift_ks gauge',
    ...ksLines,
    "# HELP wharf_prediction_drift_psi Population stability index of the predictions: live window vs the version's first window.",
    '# TYPE wharf_prediction_drift_psi gauge',
    ...predictionLines,
    '# HELP wharf_drift_window_rows Live rows in the drift window.',
    '# TYPE wharf_drift_window_rows gauge',
    ...rowLines,
    '',
  ].join('\n')
}
