import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { DatabricksSpec } from '../pipeline-file.js'
import type { StepContext, StepFunction } from '../step-context.js'
import { DatabricksJobsClient, type DatabricksRun, terminalStates } from './databricks-jobs-client.js'
import { modelUriOf, runIdFromLines, runIdFromTag } from './tracking-run.js'

/** How long a cancelled run may take to reach a terminal state before the step stops watching it. */
const cancelWaitMs = 60_000
const maxResultChars = 2000
const databricksTimeoutMarginSeconds = 60

class StepTimeout extends Error {}

/**
 * `databricks`: runs a notebook (`runs/submit`) or an existing job (`run-now`) on Databricks through
 * the Jobs API 2.1, polls `runs/get` until the run ends, and reads the task's `runs/get-output`.
 * The job is told where Wharf's tracking server is (docs/databricks.md: notebook parameters, and
 * the environment of a new cluster), so a notebook that logs with mlflow logs to Wharf, and the run
 * it made is found as for a training command. When the step runs past its timeout, the pipeline
 * run is cancelled, or the run cannot be watched any more, the Databricks run is cancelled
 * (`runs/cancel`) before the step fails.
 */
export const databricksStep: StepFunction<'databricks'> = async (spec, ctx) => {
  const client = new DatabricksJobsClient(spec.host, spec.token, ctx.signal)
  warnWhenUnreachable(client.host, ctx)
  const idempotencyToken = `wharf-${ctx.runId}-${randomBytes(8).toString('hex')}`
  const parameters = { ...spec.parameters, ...handoffParameters(spec, ctx) }
  const deadline = Date.now() + spec.timeout
  const { run_id: runId } =
    spec.job_id !== undefined
      ? await client.runNow({ job_id: spec.job_id, notebook_params: parameters, idempotency_token: idempotencyToken })
      : await client.submit(submitBody(spec, ctx, parameters, idempotencyToken))
  ctx.log(`Databricks run ${runId} started on ${client.host} (${spec.job_id !== undefined ? `job ${spec.job_id}` : spec.notebook})`)
  let run: DatabricksRun
  try {
    run = await waitForEnd(client, runId, deadline, spec, ctx)
  } catch (err) {
    // Whatever stopped the watching, leave no run behind that nobody waits for.
    const why = ctx.signal.aborted
      ? 'the pipeline run was cancelled'
      : err instanceof StepTimeout
        ? err.message
        : `watching it failed: ${(err as Error).message}`
    await cancelRun(new DatabricksJobsClient(spec.host, spec.token), runId, spec, ctx)
    throw new Error(`Databricks run ${runId} was cancelled: ${why}`)
  }
  const state = run.state ?? {}
  const taskRunId = run.tasks?.find((t) => t.state?.result_state !== 'SUCCESS')?.run_id ?? run.tasks?.[0]?.run_id ?? runId
  const output = await client.getOutput(taskRunId).catch((err: Error) => {
    ctx.log(`could not read the run's output: ${err.message}`)
    return undefined
  })
  if (state.life_cycle_state !== 'TERMINATED' || state.result_state !== 'SUCCESS') {
    for (const line of (output?.error_trace ?? '').split('\n').filter((l) => l.trim() !== '')) ctx.log(line)
    const message = output?.error ?? run.status?.termination_details?.message ?? state.state_message ?? 'no message'
    throw new Error(`Databricks run ${runId} ended ${state.life_cycle_state}${state.result_state ? `/${state.result_state}` : ''}: ${message}`)
  }
  const result = output?.notebook_output?.result ?? ''
  if (result) ctx.log(`notebook result: ${result.slice(0, maxResultChars)}${output?.notebook_output?.truncated ? ' (truncated by Databricks)' : ''}`)
  const outputs: Record<string, string> = { databricks_run_id: String(runId), run_page_url: run.run_page_url ?? '', result: result.slice(0, maxResultChars) }
  const trackingRun = trackingRunOf(result) ?? runIdFromLines([result]) ?? (await runIdFromTag(ctx))
  if (trackingRun === undefined) {
    ctx.log(
      'no MLflow run of this pipeline run was found (fine for a job that trains nothing; a training notebook sets the tag wharf.pipeline_run to the wharf_pipeline_run parameter)',
    )
    return outputs
  }
  return { ...outputs, run_id: trackingRun, model_uri: modelUriFromResult(result) ?? (await modelUriOf(ctx, trackingRun, [result])) }
}

/**
 * What the job is told about Wharf, as notebook parameters (widgets on Databricks): the tracking
 * URI, this pipeline run's id (for the `wharf.pipeline_run` tag) and the experiment. Never the
 * tracking token: parameters show in the Databricks UI (see tracking_token_secret).
 */
function handoffParameters(spec: DatabricksSpec, ctx: StepContext): Record<string, string> {
  return {
    ...(ctx.connection.trackingUri ? { wharf_tracking_uri: ctx.connection.trackingUri } : {}),
    wharf_pipeline_run: ctx.runId,
    ...(spec.experiment ? { wharf_experiment: spec.experiment } : {}),
  }
}

function submitBody(spec: DatabricksSpec, ctx: StepContext, parameters: Record<string, string>, idempotencyToken: string): Record<string, unknown> {
  const cluster: Record<string, unknown> = {}
  if (spec.existing_cluster_id !== undefined) cluster.existing_cluster_id = spec.existing_cluster_id
  if (spec.new_cluster !== undefined) {
    // A new cluster's environment reaches mlflow in the notebook without any code: MLflow reads
    // MLFLOW_TRACKING_URI / MLFLOW_TRACKING_TOKEN. The token is a `{{secrets/scope/key}}` reference,
    // which Databricks resolves on the cluster; its value never passes through this request.
    const env = (spec.new_cluster.spark_env_vars ?? {}) as Record<string, unknown>
    cluster.new_cluster = {
      ...spec.new_cluster,
      spark_env_vars: {
        ...env,
        ...(ctx.connection.trackingUri ? { MLFLOW_TRACKING_URI: ctx.connection.trackingUri } : {}),
        ...(spec.tracking_token_secret ? { MLFLOW_TRACKING_TOKEN: `{{secrets/${spec.tracking_token_secret}}}` } : {}),
        ...(spec.experiment ? { MLFLOW_EXPERIMENT_NAME: spec.experiment } : {}),
        WHARF_PIPELINE_RUN_ID: ctx.runId,
      },
    }
  }
  return {
    run_name: `${ctx.pipeline.name}/${ctx.step} (wharf run ${ctx.runId})`,
    // The step cancels the run at its timeout; Databricks' own, a minute later, ends it if this runner is gone by then.
    timeout_seconds: Math.ceil(spec.timeout / 1000) + databricksTimeoutMarginSeconds,
    idempotency_token: idempotencyToken,
    ...(spec.git_source ? { git_source: spec.git_source } : {}),
    tasks: [
      {
        task_key: 'wharf_notebook',
        notebook_task: { notebook_path: spec.notebook, base_parameters: parameters, ...(spec.source ? { source: spec.source } : {}) },
        ...cluster,
      },
    ],
  }
}

/** Polls `runs/get` until the run reaches a terminal state, logging each change of state. */
async function waitForEnd(client: DatabricksJobsClient, runId: number, deadline: number, spec: DatabricksSpec, ctx: StepContext): Promise<DatabricksRun> {
  let shown = ''
  for (;;) {
    const run = await client.getRun(runId)
    const state = run.state ?? {}
    const now = `${state.life_cycle_state ?? 'UNKNOWN'}${state.result_state ? `/${state.result_state}` : ''}${state.state_message ? ` (${state.state_message})` : ''}`
    if (now !== shown) ctx.log(`Databricks run ${runId}: ${now}${shown === '' && run.run_page_url ? ` ${run.run_page_url}` : ''}`)
    shown = now
    if (terminalStates.has(state.life_cycle_state ?? '')) return run
    const left = deadline - Date.now()
    if (left <= 0) throw new StepTimeout(`it ran past the step's timeout of ${Math.round(spec.timeout / 1000)} s`)
    await sleep(Math.min(spec.poll_interval, left), undefined, { signal: ctx.signal })
  }
}

/** `runs/cancel`, then waits (bounded) for the run to end, so the log says how it ended. */
async function cancelRun(client: DatabricksJobsClient, runId: number, spec: DatabricksSpec, ctx: StepContext): Promise<void> {
  ctx.log(`cancelling Databricks run ${runId}`)
  try {
    await client.cancel(runId)
  } catch (err) {
    ctx.log(`could not cancel Databricks run ${runId}: ${(err as Error).message}; cancel it at ${client.host}`)
    return
  }
  try {
    const until = Date.now() + cancelWaitMs
    while (Date.now() < until) {
      const state = (await client.getRun(runId)).state ?? {}
      if (terminalStates.has(state.life_cycle_state ?? '')) {
        ctx.log(`Databricks run ${runId}: ${state.life_cycle_state}/${state.result_state ?? '-'}${state.state_message ? ` (${state.state_message})` : ''}`)
        return
      }
      await sleep(Math.min(spec.poll_interval, 2000))
    }
    ctx.log(`Databricks run ${runId} has not ended ${cancelWaitMs / 1000} s after the cancel request; check it at ${client.host}`)
  } catch (err) {
    ctx.log(`Databricks run ${runId} was asked to cancel; its state could not be read: ${(err as Error).message}`)
  }
}

/** A notebook may end with `dbutils.notebook.exit(json.dumps({"run_id": ..., "model_uri": ...}))`. */
function parsedResult(result: string): { run_id?: unknown; model_uri?: unknown } | undefined {
  try {
    const value = JSON.parse(result) as unknown
    return value !== null && typeof value === 'object' ? (value as { run_id?: unknown; model_uri?: unknown }) : undefined
  } catch {
    return undefined
  }
}

const trackingRunOf = (result: string) => {
  const id = parsedResult(result)?.run_id
  return typeof id === 'string' && /^[0-9a-zA-Z_-]{1,64}$/.test(id) ? id : undefined
}
const modelUriFromResult = (result: string) => {
  const uri = parsedResult(result)?.model_uri
  return typeof uri === 'string' && uri !== '' ? uri : undefined
}

/** A tracking URI on this machine's loopback is the cluster itself when the job dials it. */
function warnWhenUnreachable(host: string, ctx: StepContext): void {
  const tracking = ctx.connection.trackingUri
  if (!tracking) return
  const isLoopback = (url: string) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(url).hostname)
  if (isLoopback(tracking) && !isLoopback(host)) {
    ctx.log(
      `warning: the job is told to log to ${tracking}, a loopback address, which on a Databricks cluster is the cluster itself; run wharf with WHARF_TRACKING_URI set to an address the workspace reaches`,
    )
  }
}
