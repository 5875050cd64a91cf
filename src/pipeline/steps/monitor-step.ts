import { setTimeout as sleep } from 'node:timers/promises'
import { ApiClient, TrackingError } from '../../client/index.js'
import type { Json } from '../../deploy/index.js'
import type { StepContext, StepFunction, StepSpec } from '../step-context.js'
import { deployClientOf } from './deploy-step.js'

type MonitorSpec = StepSpec<'monitor'>

/** A breach of the live version (drift, errors) is undone by a rollback; a shadow's is not its to undo. */
interface Breach {
  readonly text: string
  readonly isLive: boolean
}

/** What one check measured, breached or not (logged at the end, so a pass shows what it judged). */
type Observed = string[]

/**
 * `monitor`: watches a deployed model for `duration`, every `interval`: its drift (PSI of each
 * feature and of the predictions, from the server's monitoring API), its error rate (the share of
 * prediction requests answered 5xx, and 4xx with `count_4xx`, over the live metrics' window, from
 * live instances only) and its shadow's disagreement (over the last `window`). On the first
 * breach it fails; with `on_breach: rollback` (the default) a breach of the live version first rolls
 * the environment back to the version live before. A shadow that disagrees fails the watch but
 * leaves live traffic alone: the live version is not what is wrong, and the shadow is not promoted.
 */
export const monitorStep: StepFunction<'monitor'> = async (spec, ctx) => {
  const deadline = Date.now() + spec.duration
  let checks = 0
  let observed: Observed = []
  for (;;) {
    checks++
    observed = []
    const breaches = await findBreaches(spec, ctx, checks === 1, observed)
    if (breaches.length > 0) {
      const text = breaches.map((b) => b.text).join('; ')
      ctx.log(`breach: ${text}`)
      if (spec.on_breach === 'rollback' && breaches.some((b) => b.isLive)) {
        const { change, endpoint } = await deployClientOf(ctx).post('rollback', { model_name: spec.model, environment: spec.environment })
        ctx.log(`rolled ${spec.environment} back from v${change.from_version} to v${endpoint.live_version}`)
        throw new Error(`monitor: ${text}; rolled ${spec.environment} back to v${endpoint.live_version}`)
      }
      if (spec.on_breach === 'rollback') ctx.log('live traffic unchanged: only the shadow breached')
      throw new Error(`monitor: ${text}`)
    }
    if (Date.now() + spec.interval > deadline) break
    await sleep(spec.interval, undefined, { signal: ctx.signal })
  }
  ctx.log(`no breach in ${checks} checks over ${Math.round(spec.duration / 1000)} s`)
  if (observed.length > 0) ctx.log(`last check: ${observed.join('; ')}`)
  return { passed: 'true', checks: String(checks) }
}

async function findBreaches(spec: MonitorSpec, ctx: StepContext, isFirst: boolean, observed: Observed): Promise<Breach[]> {
  const breaches: Breach[] = []
  if (spec.max_psi !== undefined) breaches.push(...(await driftBreaches(spec, ctx, spec.max_psi, isFirst)).map((text) => ({ text, isLive: true })))
  if (spec.max_error_rate !== undefined) {
    const text = await errorRateBreach(spec, ctx, spec.max_error_rate, observed)
    if (text) breaches.push({ text, isLive: true })
  }
  if (spec.max_shadow_disagreement !== undefined) {
    const text = await shadowBreach(spec, ctx, spec.max_shadow_disagreement, observed)
    if (text) breaches.push({ text, isLive: false })
  }
  return breaches
}

/** The error rate of the versions taking live traffic (shadows answer copies nobody sees). */
async function errorRateBreach(spec: MonitorSpec, ctx: StepContext, maxRate: number, observed: Observed): Promise<string | undefined> {
  const { endpoints } = await deployClientOf(ctx).get('live-metrics', { environment: spec.environment, model_name: spec.model })
  const live = (((endpoints as Json[])[0]?.instances ?? []) as Json[]).filter((i) => i.role !== 'shadow' && i.window_seconds !== null)
  const sum = (field: string) => live.reduce((total, i) => total + (i[field] ?? 0) * i.window_seconds, 0)
  const requests = sum('requests_per_second')
  const errors = sum('errors_per_second') + (spec.count_4xx ? sum('client_errors_per_second') : 0)
  // Rates times their window give counts back (whole numbers up to rounding).
  if (Math.round(requests) < spec.min_requests) return undefined
  const rate = errors / requests
  const kinds = spec.count_4xx ? '4xx/5xx' : '5xx'
  const counts = `${Math.round(errors)} of ${Math.round(requests)} requests answered ${kinds}`
  observed.push(`error rate ${rate.toFixed(3)} (${counts})`)
  return rate > maxRate ? `error rate ${rate.toFixed(3)} > ${maxRate} (${counts})` : undefined
}

/**
 * The disagreement of the newest live/shadow pair over the requests shadowed in the last `window`,
 * once that many are at least `min_requests`: what the shadow does now, not since it was deployed.
 */
async function shadowBreach(spec: MonitorSpec, ctx: StepContext, maxDisagreement: number, observed: Observed): Promise<string | undefined> {
  const { reports } = await deployClientOf(ctx).get('agreement', { environment: spec.environment, model_name: spec.model, window_seconds: spec.window / 1000 })
  const latest = (reports as Json[]).at(-1)
  if (!latest || typeof latest.label_agreement !== 'number' || latest.shadowed_requests < spec.min_requests) return undefined
  const disagreement = 1 - latest.label_agreement
  const pair = `shadow v${latest.shadow_version} disagrees with v${latest.live_version} on ${disagreement.toFixed(3)} of ${latest.compared_rows} rows in the last ${spec.window / 1000} s`
  observed.push(pair)
  return disagreement > maxDisagreement ? `${pair} > ${maxDisagreement}` : undefined
}

async function driftBreaches(spec: MonitorSpec, ctx: StepContext, maxPsi: number, isFirst: boolean): Promise<string[]> {
  let report: Json
  try {
    report = await new ApiClient({ ...ctx.connection, userAgent: 'wharf-pipeline' }).get('wharf/monitoring/drift', {
      environment: spec.environment,
      model_name: spec.model,
    })
  } catch (err) {
    // No sampled prediction yet (or drift not configured): nothing to judge in this check.
    if (err instanceof TrackingError && err.status === 404) {
      if (isFirst) ctx.log(`no drift window yet: ${err.message}`)
      return []
    }
    throw err
  }
  if (report.window.rows < report.thresholds.min_rows) return []
  const out: string[] = []
  for (const f of report.features as Json[])
    if (f.psi !== null && f.psi > maxPsi) out.push(`v${report.version} feature ${f.name} PSI ${f.psi.toFixed(3)} > ${maxPsi}`)
  if (report.prediction.psi !== null && report.prediction.psi > maxPsi)
    out.push(`v${report.version} prediction PSI ${report.prediction.psi.toFixed(3)} > ${maxPsi}`)
  return out
}
