import { setTimeout as sleep } from 'node:timers/promises'
import { ServerClient } from '../pipeline-client.js'
import type { StepContext, StepFunction, StepSpec } from '../step-context.js'
import { loadVersion, predictRows, readHoldout, scorePredictions } from './offline-model.js'

const pollMs = 1000

/**
 * `gate`: what must hold before promotion. Thresholds on the run's metrics; the challenger against
 * the version the `against` alias (production) points at, on the same held-out rows, not worse by
 * more than `margin` (relative); then, with `approval: manual`, a person's decision
 * (`wharf pipeline approve|reject RUN`) within `timeout`.
 */
export const gateStep: StepFunction<'gate'> = async (spec, ctx) => {
  const outputs: Record<string, string> = {}
  const failures: string[] = []
  if (Object.keys(spec.metrics).length > 0) Object.assign(outputs, await checkMetrics(spec, ctx, failures))
  if (spec.compare) Object.assign(outputs, await compareWithChampion(spec.compare, ctx, failures))
  if (failures.length > 0) throw new Error(`gate closed: ${failures.join('; ')}`)
  if (spec.approval === 'manual') Object.assign(outputs, await waitForApproval(spec.timeout, ctx))
  return { ...outputs, passed: 'true' }
}

async function checkMetrics(spec: StepSpec<'gate'>, ctx: StepContext, failures: string[]): Promise<Record<string, string>> {
  const client = new ServerClient(ctx.connection)
  // A run started by a webhook has no train step: the challenger version's own run is the one to judge.
  const runId = spec.run ?? ctx.latestTrainRun() ?? (spec.compare ? await runOfVersion(client, spec.compare.model, spec.compare.version) : undefined)
  if (!runId) throw new Error('gate.metrics needs a run: put a train step before it, or set gate.run')
  const { run } = await client.get('mlflow/runs/get', { run_id: runId })
  const metrics = new Map<string, number>(((run.data?.metrics ?? []) as { key: string; value: number }[]).map((m) => [m.key, Number(m.value)]))
  const out: Record<string, string> = {}
  for (const [key, bound] of Object.entries(spec.metrics)) {
    const value = metrics.get(key)
    if (value === undefined) {
      failures.push(`run ${runId} has no metric '${key}'`)
      continue
    }
    out[`metric_${key}`] = String(value)
    const isOk = (bound.min === undefined || value >= bound.min) && (bound.max === undefined || value <= bound.max)
    const range = [bound.min !== undefined ? `>= ${bound.min}` : '', bound.max !== undefined ? `<= ${bound.max}` : ''].filter(Boolean).join(' and ')
    ctx.log(`${isOk ? 'ok' : 'FAILED'}: ${key} = ${value.toPrecision(5)} (must be ${range})`)
    if (!isOk) failures.push(`${key} = ${value.toPrecision(5)} is not ${range}`)
  }
  return out
}

async function compareWithChampion(c: NonNullable<StepSpec<'gate'>['compare']>, ctx: StepContext, failures: string[]): Promise<Record<string, string>> {
  const champion = await aliasVersion(ctx, c.model, c.against)
  if (champion === undefined || champion === c.version) {
    ctx.log(champion === undefined ? `no '${c.against}' version of ${c.model} yet: nothing to compare with` : `v${c.version} is already '${c.against}'`)
    return { champion_version: champion ?? '' }
  }
  const holdout = await readHoldout(ctx, c)
  const score = async (version: string) => {
    const model = await loadVersion(ctx, c.model, version)
    try {
      return scorePredictions(c.metric, await predictRows(model, holdout.rows), holdout.target)
    } finally {
      await model.close()
    }
  }
  const [challenger, championScore] = [await score(c.version), await score(champion)]
  const isHigherBetter = c.metric === 'accuracy'
  const limit = isHigherBetter ? championScore * (1 - c.margin) : championScore * (1 + c.margin)
  const isOk = isHigherBetter ? challenger >= limit : challenger <= limit
  ctx.log(
    `${isOk ? 'ok' : 'FAILED'}: challenger v${c.version} ${c.metric} ${challenger.toPrecision(5)} vs ${c.against} v${champion} ${championScore.toPrecision(5)} on ${holdout.rows.data.length} held-out rows (margin ${c.margin * 100}%)`,
  )
  if (!isOk)
    failures.push(
      `challenger v${c.version} ${c.metric} ${challenger.toPrecision(5)} is worse than ${c.against} v${champion} ${championScore.toPrecision(5)} by more than ${c.margin * 100}%`,
    )
  return { champion_version: champion, [`challenger_${c.metric}`]: String(challenger), [`champion_${c.metric}`]: String(championScore) }
}

async function runOfVersion(client: ServerClient, model: string, version: string): Promise<string | undefined> {
  const { model_version } = await client.get('mlflow/model-versions/get', { name: model, version })
  return model_version.run_id || undefined
}

async function aliasVersion(ctx: StepContext, model: string, alias: string): Promise<string | undefined> {
  try {
    const { model_version } = await new ServerClient(ctx.connection).get('mlflow/registered-models/alias', { name: model, alias })
    return String(model_version.version)
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined
    throw err
  }
}

async function waitForApproval(timeoutMs: number, ctx: StepContext): Promise<Record<string, string>> {
  if (ctx.isApprovedByCi) {
    ctx.log('approval given by the CI environment this job runs in')
    return { approved_by: 'ci-environment' }
  }
  await ctx.markWaiting()
  ctx.log(`waiting for approval: wharf pipeline approve ${ctx.runId}  (or: wharf pipeline reject ${ctx.runId}); timeout ${Math.round(timeoutMs / 1000)} s`)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const d = await ctx.decision()
    if (d?.decision === 'approved') {
      ctx.log(`approved by ${d.actor}${d.comment ? `: ${d.comment}` : ''}`)
      return { approved_by: d.actor }
    }
    if (d?.decision === 'rejected') throw new Error(`rejected by ${d.actor}${d.comment ? `: ${d.comment}` : ''}`)
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), undefined, { signal: ctx.signal })
  }
  throw new Error(`no approval within ${Math.round(timeoutMs / 1000)} s`)
}
