import { setTimeout as sleep } from 'node:timers/promises'
import { ApiClient, TrackingError } from '../../client/index.js'
import type { Json } from '../../deploy/index.js'
import type { StepContext, StepFunction, StepSpec } from '../step-context.js'
import { deployClientOf } from './deploy-step.js'

type MonitorSpec = StepSpec<'monitor'>

/**
 * `monitor`: watches a deployed model for `duration`, every `interval`: its drift (PSI of each
 * feature and of the predictions, from the server's monitoring API), its error rate (5xx share of
 * prediction requests, from the live metrics) and its shadow's disagreement. On the first breach it
 * rolls the environment back to the version live before (`on_breach: rollback`, the default) and
 * fails; `on_breach: fail` only fails. After a promotion this is the watch that runs unattended.
 */
export const monitorStep: StepFunction<'monitor'> = async (spec, ctx) => {
  const deadline = Date.now() + spec.duration
  let checks = 0
  for (;;) {
    checks++
    const breaches = await findBreaches(spec, ctx, checks === 1)
    if (breaches.length > 0) {
      ctx.log(`breach: ${breaches.join('; ')}`)
      if (spec.on_breach === 'rollback') {
        const { change, endpoint } = await deployClientOf(ctx).post('rollback', { model_name: spec.model, environment: spec.environment })
        ctx.log(`rolled ${spec.environment} back from v${change.from_version} to v${endpoint.live_version}`)
        throw new Error(`monitor: ${breaches.join('; ')}; rolled ${spec.environment} back to v${endpoint.live_version}`)
      }
      throw new Error(`monitor: ${breaches.join('; ')}`)
    }
    if (Date.now() + spec.interval > deadline) break
    await sleep(spec.interval, undefined, { signal: ctx.signal })
  }
  ctx.log(`no breach in ${checks} checks over ${Math.round(spec.duration / 1000)} s`)
  return { passed: 'true', checks: String(checks) }
}

async function findBreaches(spec: MonitorSpec, ctx: StepContext, isFirst: boolean): Promise<string[]> {
  const breaches: string[] = []
  if (spec.max_psi !== undefined) breaches.push(...(await driftBreaches(spec, ctx, spec.max_psi, isFirst)))
  const client = deployClientOf(ctx)
  if (spec.max_error_rate !== undefined) {
    const { endpoints } = await client.get('live-metrics', { environment: spec.environment, model_name: spec.model })
    const live = ((endpoints as Json[])[0]?.instances ?? []) as Json[]
    const requests = live.reduce((sum, i) => sum + (i.requests_per_second ?? 0), 0)
    const errors = live.reduce((sum, i) => sum + (i.errors_per_second ?? 0), 0)
    if (requests > 0 && errors / requests > spec.max_error_rate)
      breaches.push(`error rate ${(errors / requests).toFixed(3)} > ${spec.max_error_rate} (${requests.toFixed(1)} requests/s)`)
  }
  if (spec.max_shadow_disagreement !== undefined) {
    const { reports } = await client.get('agreement', { environment: spec.environment, model_name: spec.model })
    const latest = (reports as Json[]).at(-1)
    if (latest && typeof latest.label_agreement === 'number' && 1 - latest.label_agreement > spec.max_shadow_disagreement)
      breaches.push(`shadow v${latest.shadow_version} disagrees on ${(1 - latest.label_agreement).toFixed(3)} of rows > ${spec.max_shadow_disagreement}`)
  }
  return breaches
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
