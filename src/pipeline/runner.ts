import { hostname } from 'node:os'
import { dirname } from 'node:path'
import type { PipelineRun, RunOwner, RunStatus, StepRecord } from './entities.js'
import { type ExpressionContext, expressionText, interpolate, isConditionMet } from './expressions.js'
import type { ServerConnection } from './pipeline-client.js'
import { parseStepSpec, type PipelineDef, type StageDef, type StepDef, type StepKind } from './pipeline-file.js'
import type { RunRecorder } from './run-recorder.js'
import type { Masker } from './secrets.js'
import { bindNotebookParameters } from './notebook-parameters.js'
import { bindStepShellText } from './shell-values.js'
import type { StepContext, StepFunction, StepFunctions } from './step-context.js'
import { environmentOf } from './variable-names.js'

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
export async function runPipeline(options: RunnerOptions): Promise<RunnerResult> {
  const owner = options.owner ?? { pid: process.pid, host: hostname() }
  const out = (line: string) => options.out(options.masker.mask(line))
  let run = await openRun(options, owner)
  const runId = run.runId
  out(`pipeline ${options.pipeline.name}: run ${runId} (logs: wharf pipeline logs ${runId})`)
  const variables = { ...options.pipeline.variables, ...run.variables }
  const outputs: Record<string, Record<string, string>> = {}
  const records = new Map<string, StepRecord>(run.stepRecords.map((s) => [s.step, s]))
  for (const s of run.stepRecords) if (s.status === 'succeeded') outputs[s.step] = { ...s.outputs }
  const stageStatus: Record<string, { status: string }> = Object.fromEntries(run.stageRecords.map((s) => [s.stage, { status: s.status }]))
  let hasFailed = false
  const context = (): ExpressionContext => ({
    values: {
      variables,
      secrets: options.secrets,
      steps: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { outputs: v }])),
      stages: stageStatus,
      trigger: run.trigger,
      run: { id: runId },
    },
    hasFailed,
  })
  const logs = new LogBuffer(options.recorder, runId, options.masker)
  const heartbeat = setInterval(
    () => void options.recorder.heartbeat(runId, owner).catch((err) => out(`warning: heartbeat failed: ${(err as Error).message}`)),
    options.heartbeatMs ?? 2000,
  )
  heartbeat.unref()
  const started = Date.now()
  let failure: string | undefined
  try {
    for (const stage of options.pipeline.stages) {
      if (isCancelled()) break
      const recorded = stageStatus[stage.name]?.status
      if (recorded === 'succeeded') {
        out(`✓ stage ${stage.name} (finished before)`)
        continue
      }
      if (options.stages && !options.stages.includes(stage.name)) continue
      if (!isConditionMet(stage.when, context())) {
        await options.recorder.setStage(runId, stage.name, 'skipped')
        stageStatus[stage.name] = { status: 'skipped' }
        out(`- stage ${stage.name} skipped (when: ${stage.when})`)
        continue
      }
      const result = await runStage(stage)
      stageStatus[stage.name] = { status: result }
      if (result === 'failed') hasFailed = true
    }
    isCancelled() // a cancel that stopped the last step is recorded as one
  } finally {
    clearInterval(heartbeat)
    await logs.flush()
  }

  /** Cancelled (SIGINT/SIGTERM to `wharf pipeline run`, a CI job cancelled): no further step starts. */
  function isCancelled(): boolean {
    if (!options.signal?.aborted) return false
    if (failure === undefined || !failure.startsWith('cancelled')) {
      const reason = options.signal.reason instanceof Error ? options.signal.reason.message : String(options.signal.reason ?? '')
      failure = `cancelled${reason ? ` (${reason})` : ''}${failure ? `; ${failure}` : ''}`
      out(`✗ ${failure}`)
    }
    return true
  }

  async function runStage(stage: StageDef): Promise<'succeeded' | 'failed'> {
    const stageStarted = Date.now()
    await options.recorder.setStage(runId, stage.name, 'running')
    out(`▶ stage ${stage.name}`)
    for (const step of stage.steps) {
      if (isCancelled()) {
        await options.recorder.setStage(runId, stage.name, 'failed')
        return 'failed'
      }
      const record = records.get(step.name)
      if (record?.status === 'succeeded' || record?.status === 'skipped') {
        out(`  ✓ ${step.name} (finished before)`)
        continue
      }
      if (step.when !== undefined && !isConditionMet(step.when, context())) {
        await options.recorder.finishStep(runId, step.name, { status: 'skipped', outputs: {} })
        out(`  - ${step.name} skipped (when: ${step.when})`)
        continue
      }
      const error = await runStep(stage, step)
      if (error !== undefined) {
        failure = `${stage.name}/${step.name}: ${error}`
        await options.recorder.setStage(runId, stage.name, 'failed')
        out(`✗ stage ${stage.name} failed after ${seconds(Date.now() - stageStarted)}: ${error}`)
        return 'failed'
      }
    }
    await options.recorder.setStage(runId, stage.name, 'succeeded')
    out(`✓ stage ${stage.name} ${seconds(Date.now() - stageStarted)}`)
    return 'succeeded'
  }

  /** Runs one step; the masked error message when it fails. */
  async function runStep(stage: StageDef, step: StepDef): Promise<string | undefined> {
    const stepStarted = Date.now()
    await options.recorder.startStep(runId, step.name)
    out(`  ▶ ${stage.name}/${step.name} (${step.kind})`)
    const log = (line: string) => {
      const masked = options.masker.mask(line)
      options.out(`    ${masked}`)
      logs.add(stage.name, step.name, masked)
    }
    try {
      const where = `${options.pipeline.file}: ${step.path}.${step.kind}`
      const textOf = (expr: string) => expressionText(expr, context(), where)
      // Shell text gets its values through the environment, never pasted into it (shell-values.ts).
      const shell = bindStepShellText(step.kind, step.raw, textOf)
      const raw = bindNotebookParameters(step.kind, shell.raw, textOf)
      const spec = parseStepSpec(step.kind, interpolate(raw, context(), where), `${options.pipeline.file}: ${step.path}`)
      const fn = options.steps[step.kind] as StepFunction<StepKind>
      const result = options.masker.maskValue(await fn(spec as never, stepContext(stage, step, log, shell.env)))
      await logs.flush()
      await options.recorder.finishStep(runId, step.name, { status: 'succeeded', outputs: result })
      outputs[step.name] = result
      const shown = Object.entries(result)
        .slice(0, 4)
        .map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 57)}...` : v}`)
        .join(' ')
      out(`  ✓ ${step.name} ${seconds(Date.now() - stepStarted)}${shown ? `  ${shown}` : ''}`)
      return undefined
    } catch (err) {
      const message = options.masker.mask(err instanceof Error ? err.message : String(err))
      log(`error: ${message}`)
      await logs.flush()
      await options.recorder.finishStep(runId, step.name, { status: 'failed', outputs: {}, error: message })
      out(`  ✗ ${step.name} ${seconds(Date.now() - stepStarted)}: ${message}`)
      return message
    }
  }

  function stepContext(stage: StageDef, step: StepDef, log: (line: string) => void, shellValues: Readonly<Record<string, string>>): StepContext {
    const before = options.pipeline.stages.flatMap((s) => s.steps).findIndex((s) => s.name === step.name)
    const env: Record<string, string> = {
      ...(options.env ?? {}),
      ...environmentOf(variables),
      ...environmentOf(options.secrets),
      WHARF_PIPELINE: options.pipeline.name,
      WHARF_PIPELINE_RUN_ID: runId,
      WHARF_PIPELINE_STAGE: stage.name,
      WHARF_PIPELINE_STEP: step.name,
      ...(options.connection.trackingUri ? { MLFLOW_TRACKING_URI: options.connection.trackingUri, WHARF_TRACKING_URI: options.connection.trackingUri } : {}),
      ...(options.connection.token ? { MLFLOW_TRACKING_TOKEN: options.connection.token, WHARF_TRACKING_TOKEN: options.connection.token } : {}),
      ...shellValues,
    }
    return {
      runId,
      pipeline: options.pipeline,
      stage: stage.name,
      step: step.name,
      dir: dirname(options.pipeline.file),
      log,
      env,
      connection: options.connection,
      outputs,
      mask: (value) => options.masker.maskValue(value),
      latestTrainOutputs: () => {
        const earlier = options.pipeline.stages
          .flatMap((s) => s.steps)
          .slice(0, before)
          .reverse()
        return earlier.map((s) => (s.kind === 'train' || s.kind === 'databricks' ? outputs[s.name] : undefined)).find((x) => x?.run_id !== undefined)
      },
      latestTrainRun() {
        return this.latestTrainOutputs()?.run_id
      },
      markWaiting: () => options.recorder.setStepStatus(runId, step.name, 'waiting'),
      decision: () => options.recorder.decision(runId, step.name),
      modelCacheDir: options.modelCacheDir,
      isApprovedByCi: options.approvals === 'ci',
      signal: options.signal ?? new AbortController().signal,
    }
  }

  const status: RunStatus = failure !== undefined ? 'failed' : 'succeeded'
  run = await options.recorder.finish(runId, status, failure)
  out(`${status === 'succeeded' ? '✓' : '✗'} run ${runId} ${status} in ${seconds(Date.now() - started)}${failure ? `: ${failure}` : ''}`)
  return { run, status }
}

async function openRun(options: RunnerOptions, owner: RunOwner): Promise<PipelineRun> {
  if (options.resumeRunId !== undefined) {
    const run = await options.recorder.claim(options.resumeRunId, owner)
    if (run.pipeline !== options.pipeline.name)
      throw new Error(`run ${options.resumeRunId} belongs to pipeline '${run.pipeline}', not '${options.pipeline.name}'`)
    return run
  }
  if (options.runKey !== undefined) {
    const existing = await options.recorder.findByKey(options.pipeline.name, options.runKey)
    if (existing) return options.recorder.claim(existing.runId, owner)
  }
  for (const s of options.stages ?? [])
    if (!options.pipeline.stages.some((st) => st.name === s)) throw new Error(`pipeline '${options.pipeline.name}' has no stage '${s}'`)
  return options.recorder.create({
    pipeline: options.pipeline.name,
    file: options.pipeline.file,
    runKey: options.runKey,
    trigger: options.masker.maskValue(options.trigger ?? { kind: 'cli' }),
    stages: options.stages,
    variables: options.masker.maskValue({ ...(options.variables ?? {}) }),
    owner,
    plan: options.pipeline.stages.map((s) => ({ stage: s.name, steps: s.steps.map((st) => ({ step: st.name, kind: st.kind })) })),
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
