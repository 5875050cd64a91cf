import { hostname } from 'node:os'
import { dirname } from 'node:path'
import type { PipelineRun, RunOwner, RunStatus, StepRecord } from './entities.js'
import { type ExpressionContext, expressionText, interpolate, isConditionMet } from './expressions.js'
import type { ServerConnection } from './pipeline-client.js'
import { parseStepSpec, type PipelineDef, type StageDef, type StepDef, type StepKind } from './pipeline-file.js'
import type { RunRecorder } from './run-recorder.js'
import type { Masker } from './secrets.js'
import { bindStepShellText } from './shell-values.js'
import type { StepContext, StepFunction, StepFunctions } from './step-context.js'

export interface RunnerOptions {
  readonly pipeline: PipelineDef
  readonly secrets: Readonly<Record<string, string>>
  readonly masker: Masker
  readonly recorder: RunRecorder
  readonly steps: StepFunctions
  readonly connection: ServerConnection
  /** Progress lines for the terminal; already masked. */
  readonly out: (line: string) => void
  /** Continue this run (resume), instead of starting one. */
  readonly resumeRunId?: string | undefined
  /** Joins the run with this key if there is one (the next CI job of the same build, a redelivered webhook). */
  readonly runKey?: string | undefined
  /** Only these stages run now; the others stay pending. */
  readonly stages?: readonly string[] | undefined
  readonly trigger?: Readonly<Record<string, unknown>> | undefined
  /** `--var k=v` overrides of wharf.yaml variables. */
  readonly variables?: Readonly<Record<string, string>> | undefined
  /** What command steps inherit from the runner's environment (step-environment.ts); nothing else of it reaches them. */
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly heartbeatMs?: number
  readonly modelCacheDir: string
  /** 'ci': manual approvals were given by the CI environment the job runs in. */
  readonly approvals?: 'ask' | 'ci'
  readonly owner?: RunOwner
  readonly signal?: AbortSignal
}

export interface RunnerResult {
  readonly run: PipelineRun
  readonly status: RunStatus
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/**
 * Runs a pipeline: stages in order, each stage's steps in order, each step an async function
 * (steps/*.ts). Every start, end, output and log line is recorded through the recorder before the
 * runner moves on, and a step's end is recorded together with its outputs, so a resumed run picks
 * up exactly where the last one stopped and never runs a finished step again.
 */
export async function runPipeline(o: RunnerOptions): Promise<RunnerResult> {
  const owner = o.owner ?? { pid: process.pid, host: hostname() }
  const out = (line: string) => o.out(o.masker.mask(line))
  let run = await openRun(o, owner)
  const runId = run.runId
  out(`pipeline ${o.pipeline.name}: run ${runId} (logs: wharf pipeline logs ${runId})`)
  const variables = { ...o.pipeline.variables, ...run.variables }
  const outputs: Record<string, Record<string, string>> = {}
  const records = new Map<string, StepRecord>(run.stepRecords.map((s) => [s.step, s]))
  for (const s of run.stepRecords) if (s.status === 'succeeded') outputs[s.step] = { ...s.outputs }
  const stageStatus: Record<string, { status: string }> = Object.fromEntries(run.stageRecords.map((s) => [s.stage, { status: s.status }]))
  let hasFailed = false
  const context = (): ExpressionContext => ({
    values: { variables, secrets: o.secrets, steps: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { outputs: v }])), stages: stageStatus, trigger: run.trigger, run: { id: runId } },
    hasFailed,
  })
  const logs = new LogBuffer(o.recorder, runId, o.masker)
  const heartbeat = setInterval(() => void o.recorder.heartbeat(runId, owner).catch((err) => out(`warning: heartbeat failed: ${(err as Error).message}`)), o.heartbeatMs ?? 2000)
  heartbeat.unref()
  const started = Date.now()
  let failure: string | undefined
  try {
    for (const stage of o.pipeline.stages) {
      const recorded = stageStatus[stage.name]?.status
      if (recorded === 'succeeded') {
        out(`✓ stage ${stage.name} (finished before)`)
        continue
      }
      if (o.stages && !o.stages.includes(stage.name)) continue
      if (!isConditionMet(stage.when, context())) {
        await o.recorder.setStage(runId, stage.name, 'skipped')
        stageStatus[stage.name] = { status: 'skipped' }
        out(`- stage ${stage.name} skipped (when: ${stage.when})`)
        continue
      }
      const result = await runStage(stage)
      stageStatus[stage.name] = { status: result }
      if (result === 'failed') hasFailed = true
    }
  } finally {
    clearInterval(heartbeat)
    await logs.flush()
  }

  async function runStage(stage: StageDef): Promise<'succeeded' | 'failed'> {
    const stageStarted = Date.now()
    await o.recorder.setStage(runId, stage.name, 'running')
    out(`▶ stage ${stage.name}`)
    for (const step of stage.steps) {
      const record = records.get(step.name)
      if (record?.status === 'succeeded' || record?.status === 'skipped') {
        out(`  ✓ ${step.name} (finished before)`)
        continue
      }
      if (step.when !== undefined && !isConditionMet(step.when, context())) {
        await o.recorder.finishStep(runId, step.name, { status: 'skipped', outputs: {} })
        out(`  - ${step.name} skipped (when: ${step.when})`)
        continue
      }
      const error = await runStep(stage, step)
      if (error !== undefined) {
        failure = `${stage.name}/${step.name}: ${error}`
        await o.recorder.setStage(runId, stage.name, 'failed')
        out(`✗ stage ${stage.name} failed after ${seconds(Date.now() - stageStarted)}: ${error}`)
        return 'failed'
      }
    }
    await o.recorder.setStage(runId, stage.name, 'succeeded')
    out(`✓ stage ${stage.name} ${seconds(Date.now() - stageStarted)}`)
    return 'succeeded'
  }

  /** Runs one step; the masked error message when it fails. */
  async function runStep(stage: StageDef, step: StepDef): Promise<string | undefined> {
    const stepStarted = Date.now()
    await o.recorder.startStep(runId, step.name)
    out(`  ▶ ${stage.name}/${step.name} (${step.kind})`)
    const log = (line: string) => {
      const masked = o.masker.mask(line)
      o.out(`    ${masked}`)
      logs.add(stage.name, step.name, masked)
    }
    try {
      const where = `${o.pipeline.file}: ${step.path}.${step.kind}`
      // Shell text gets its values through the environment, never pasted into it (shell-values.ts).
      const shell = bindStepShellText(step.kind, step.raw, (expr) => expressionText(expr, context(), where))
      const spec = parseStepSpec(step.kind, interpolate(shell.raw, context(), where), `${o.pipeline.file}: ${step.path}`)
      const fn = o.steps[step.kind] as StepFunction<StepKind>
      const result = o.masker.maskValue(await fn(spec as never, stepContext(stage, step, log, shell.env)))
      await logs.flush()
      await o.recorder.finishStep(runId, step.name, { status: 'succeeded', outputs: result })
      outputs[step.name] = result
      const shown = Object.entries(result).slice(0, 4).map(([k, v]) => `${k}=${v.length > 60 ? v.slice(0, 57) + '...' : v}`).join(' ')
      out(`  ✓ ${step.name} ${seconds(Date.now() - stepStarted)}${shown ? '  ' + shown : ''}`)
      return undefined
    } catch (err) {
      const message = o.masker.mask(err instanceof Error ? err.message : String(err))
      log(`error: ${message}`)
      await logs.flush()
      await o.recorder.finishStep(runId, step.name, { status: 'failed', outputs: {}, error: message })
      out(`  ✗ ${step.name} ${seconds(Date.now() - stepStarted)}: ${message}`)
      return message
    }
  }

  function stepContext(stage: StageDef, step: StepDef, log: (line: string) => void, shellValues: Readonly<Record<string, string>>): StepContext {
    const before = o.pipeline.stages.flatMap((s) => s.steps).findIndex((s) => s.name === step.name)
    const env: Record<string, string> = {
      ...(o.env ?? {}), ...variables, ...o.secrets,
      WHARF_PIPELINE: o.pipeline.name, WHARF_PIPELINE_RUN_ID: runId, WHARF_PIPELINE_STAGE: stage.name, WHARF_PIPELINE_STEP: step.name,
      ...(o.connection.trackingUri ? { MLFLOW_TRACKING_URI: o.connection.trackingUri, WHARF_TRACKING_URI: o.connection.trackingUri } : {}),
      ...(o.connection.token ? { MLFLOW_TRACKING_TOKEN: o.connection.token, WHARF_TRACKING_TOKEN: o.connection.token } : {}),
      ...shellValues,
    }
    return {
      runId, pipeline: o.pipeline, stage: stage.name, step: step.name, dir: dirname(o.pipeline.file), log, env, connection: o.connection, outputs,
      latestTrainOutputs: () => {
        const earlier = o.pipeline.stages.flatMap((s) => s.steps).slice(0, before).reverse()
        return earlier.map((s) => (s.kind === 'train' ? outputs[s.name] : undefined)).find((x) => x?.run_id !== undefined)
      },
      latestTrainRun() {
        return this.latestTrainOutputs()?.run_id
      },
      markWaiting: () => o.recorder.setStepStatus(runId, step.name, 'waiting'),
      decision: () => o.recorder.decision(runId, step.name),
      modelCacheDir: o.modelCacheDir,
      isApprovedByCi: o.approvals === 'ci',
      signal: o.signal ?? new AbortController().signal,
    }
  }

  const status: RunStatus = failure !== undefined ? 'failed' : 'succeeded'
  run = await o.recorder.finish(runId, status, failure)
  out(`${status === 'succeeded' ? '✓' : '✗'} run ${runId} ${status} in ${seconds(Date.now() - started)}${failure ? `: ${failure}` : ''}`)
  return { run, status }
}

async function openRun(o: RunnerOptions, owner: RunOwner): Promise<PipelineRun> {
  if (o.resumeRunId !== undefined) {
    const run = await o.recorder.claim(o.resumeRunId, owner)
    if (run.pipeline !== o.pipeline.name) throw new Error(`run ${o.resumeRunId} belongs to pipeline '${run.pipeline}', not '${o.pipeline.name}'`)
    return run
  }
  if (o.runKey !== undefined) {
    const existing = await o.recorder.findByKey(o.pipeline.name, o.runKey)
    if (existing) return o.recorder.claim(existing.runId, owner)
  }
  for (const s of o.stages ?? []) if (!o.pipeline.stages.some((st) => st.name === s)) throw new Error(`pipeline '${o.pipeline.name}' has no stage '${s}'`)
  return o.recorder.create({
    pipeline: o.pipeline.name, file: o.pipeline.file, runKey: o.runKey, trigger: o.masker.maskValue(o.trigger ?? { kind: 'cli' }), stages: o.stages,
    variables: o.masker.maskValue({ ...(o.variables ?? {}) }), owner,
    plan: o.pipeline.stages.map((s) => ({ stage: s.name, steps: s.steps.map((st) => ({ step: st.name, kind: st.kind })) })),
  })
}

/** Collects a step's log lines and sends them in batches (every 250 ms, and before the step ends). */
class LogBuffer {
  readonly #recorder: RunRecorder
  readonly #runId: string
  readonly #masker: Masker
  #lines: { stage: string; step: string; time: number; line: string }[] = []
  #timer: NodeJS.Timeout | undefined
  #sending: Promise<void> = Promise.resolve()

  constructor(recorder: RunRecorder, runId: string, masker: Masker) {
    this.#recorder = recorder
    this.#runId = runId
    this.#masker = masker
  }

  add(stage: string, step: string, line: string): void {
    this.#lines.push({ stage, step, time: Date.now(), line: this.#masker.mask(line).slice(0, 65536) })
    this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), 250)
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const lines = this.#lines
    this.#lines = []
    this.#sending = this.#sending.then(() => (lines.length > 0 ? this.#recorder.appendLogs(this.#runId, lines) : undefined))
    await this.#sending
  }
}
