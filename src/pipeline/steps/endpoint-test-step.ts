import type { StepFunction } from '../step-context.js'
import { deployClientOf, endpointOf } from './deploy-step.js'
import { reachableEndpointUrl } from './endpoint-url.js'
import { inputExampleOf, loadVersion, predictRows, readHoldout, type SplitRows } from './offline-model.js'

/** How many one-row requests measure latency (the first ones warm the path and are not counted). */
const latencySamples = 20
const warmup = 3

/**
 * `test`: sends the model's input example and held-out rows to the environment's endpoint (MLflow
 * scoring protocol) and checks the status, the response's shape, agreement with the offline
 * predictions of the same version, and the p95 latency of one-row requests.
 */
export const testStep: StepFunction<'test'> = async (spec, ctx) => {
  const endpoint = await endpointOf(deployClientOf(ctx), spec.environment, spec.model)
  if (!endpoint?.url) throw new Error(`${spec.model} is not deployed in ${spec.environment}`)
  if (endpoint.live_version !== spec.version) throw new Error(`${spec.environment} serves v${endpoint.live_version}, not v${spec.version}`)
  const url = `${reachableEndpointUrl(String(endpoint.url), ctx.connection.trackingUri, spec.environment, spec.model).replace(/\/+$/, '')}/invocations`
  const model = await loadVersion(ctx, spec.model, spec.version)
  const problems: string[] = []
  try {
    const example = await inputExampleOf(model)
    if (example) await compare('input example', example)
    else ctx.log('the model has no input example; testing with held-out rows only')
    const holdout = await readHoldout(ctx, spec)
    const agreement = await compare(`${holdout.rows.data.length} held-out rows`, holdout.rows)
    const latencies: number[] = []
    for (let i = 0; i < latencySamples + warmup; i++) {
      const row = { columns: holdout.rows.columns, data: [holdout.rows.data[i % holdout.rows.data.length]!] }
      const started = performance.now()
      await invoke(url, row)
      if (i >= warmup) latencies.push(performance.now() - started)
    }
    latencies.sort((a, b) => a - b)
    const p50 = latencies[Math.floor(latencies.length * 0.5)]!
    const p95 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.95) - 1)]!
    ctx.log(`latency of one-row requests: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (bound ${spec.max_latency_ms} ms)`)
    if (p95 > spec.max_latency_ms) problems.push(`p95 latency ${p95.toFixed(1)} ms is above ${spec.max_latency_ms} ms`)
    if (problems.length > 0) throw new Error(`endpoint test failed: ${problems.join('; ')}`)
    return { url, rows: String(holdout.rows.data.length), max_abs_diff: String(agreement), latency_p50_ms: p50.toFixed(2), latency_p95_ms: p95.toFixed(2) }
  } finally {
    await model.close()
  }

  async function compare(what: string, rows: SplitRows): Promise<number> {
    const [online, offline] = await Promise.all([invoke(url, rows), predictRows(model, rows)])
    if (online.length !== offline.length) {
      problems.push(`${what}: ${online.length} predictions for ${offline.length} rows`)
      return Infinity
    }
    let worst = 0
    let disagreements = 0
    online.forEach((v, i) => {
      const o = offline[i]!
      if (typeof o === 'number') {
        const d = Math.abs(Number(v) - o)
        worst = Math.max(worst, Number.isNaN(d) ? Infinity : d)
        if (!(d <= spec.tolerance * Math.max(1, Math.abs(o)))) disagreements++
      } else if (String(v) !== String(o)) disagreements++
    })
    ctx.log(
      `${what}: ${online.length} predictions, ${disagreements} disagree with offline predictions (max |diff| ${worst.toPrecision(3)}, tolerance ${spec.tolerance})`,
    )
    if (disagreements > 0) problems.push(`${what}: ${disagreements} predictions differ from offline ones by more than ${spec.tolerance}`)
    return worst
  }
}

/** POSTs rows as `dataframe_split`; checks the status and that the answer is `{"predictions": [one per row]}`. */
async function invoke(url: string, rows: SplitRows): Promise<unknown[]> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dataframe_split: rows }) })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`POST ${url} answered ${res.status}: ${text.slice(0, 200)}`)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new Error(`POST ${url} answered a body that is not JSON`)
  }
  const predictions = (body as { predictions?: unknown }).predictions
  if (!Array.isArray(predictions)) throw new Error(`POST ${url} answered without a "predictions" list`)
  if (predictions.length !== rows.data.length) throw new Error(`POST ${url} answered ${predictions.length} predictions for ${rows.data.length} rows`)
  if (!predictions.every((p) => typeof p === 'number' || typeof p === 'string')) throw new Error(`POST ${url}: predictions are not numbers or labels`)
  return predictions
}
