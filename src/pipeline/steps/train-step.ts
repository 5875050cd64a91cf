import { resolve } from 'node:path'
import { ServerClient } from '../pipeline-client.js'
import type { StepContext, StepFunction, StepSpec } from '../step-context.js'
import { runShell } from './shell-command.js'

/**
 * `train`: the built-in trainer (`wharf train`), or any command — a Python script using `mlflow`
 * works the same. The command's run is found by, in order: a `WHARF_RUN_ID=...` line it prints,
 * the run URL MLflow prints (`.../runs/<id>`), or the `wharf.pipeline_run` tag it set from the
 * WHARF_PIPELINE_RUN_ID environment variable. A `WHARF_MODEL_URI=...` line names the model when it is
 * not the run's `model` folder (MLflow 3 logs models as `models:/m-...`).
 */
export const trainStep: StepFunction<'train'> = async (spec, ctx) => ('command' in spec ? trainWithCommand(spec, ctx) : trainBuiltIn(spec, ctx))

async function trainBuiltIn(spec: Exclude<StepSpec<'train'>, { command: string }>, ctx: StepContext): Promise<Record<string, string>> {
  const { runTrain } = await import('../../train/run-train.js')
  const result = await runTrain({
    data: resolve(ctx.dir, spec.data),
    target: spec.target,
    model: spec.model,
    param: Object.entries(spec.params).map(([k, v]) => `${k}=${v}`),
    experiment: spec.experiment,
    runName: spec.run_name ?? `${ctx.pipeline.name}-${ctx.runId}`,
    testSize: spec.test_size,
    seed: spec.seed,
    trackingUri: ctx.connection.trackingUri,
    token: ctx.connection.token,
    log: ctx.log,
  })
  if (!result.runId) throw new Error('the trainer logged no run (is the tracking server set?)')
  return {
    run_id: result.runId,
    model_uri: result.modelUri ?? `runs:/${result.runId}/model`,
    experiment_id: result.experimentId ?? '',
    ...Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [`metric_${k}`, String(v)])),
  }
}

async function trainWithCommand(spec: Extract<StepSpec<'train'>, { command: string }>, ctx: StepContext): Promise<Record<string, string>> {
  const env = { ...ctx.env, ...(spec.experiment ? { MLFLOW_EXPERIMENT_NAME: spec.experiment } : {}) }
  const result = await runShell(spec.command, { cwd: ctx.dir, env, log: ctx.log, timeoutMs: spec.timeout, signal: ctx.signal })
  if (result.exitCode !== 0)
    throw new Error(result.signal ? `the training command was stopped by ${result.signal}` : `the training command exited with code ${result.exitCode}`)
  const runId = runIdFromLines(result.lines) ?? (await runIdFromTag(ctx))
  if (!runId)
    throw new Error("cannot tell which run the command made: print 'WHARF_RUN_ID=<run id>', or set the tag wharf.pipeline_run to $WHARF_PIPELINE_RUN_ID")
  const modelUri = [...result.lines]
    .reverse()
    .map((l) => /WHARF_MODEL_URI=(\S+)/.exec(l)?.[1])
    .find((u) => u !== undefined)
  return { run_id: runId, model_uri: modelUri ?? `runs:/${runId}/model` }
}

function runIdFromLines(lines: readonly string[]): string | undefined {
  for (const line of [...lines].reverse()) {
    const explicit = /WHARF_RUN_ID=([0-9a-zA-Z_-]{1,64})/.exec(line)
    if (explicit) return explicit[1]
  }
  for (const line of [...lines].reverse()) {
    // MLflow 2.x/3.x print "View run NAME at: http://host/#/experiments/1/runs/<run id>".
    const url = /\/experiments\/[^/\s]+\/runs\/([0-9a-f]{32})\b/.exec(line)
    if (url) return url[1]
  }
  return undefined
}

async function runIdFromTag(ctx: StepContext): Promise<string | undefined> {
  const client = new ServerClient(ctx.connection)
  const { experiments = [] } = await client.post('mlflow/experiments/search', { max_results: 1000 })
  if (experiments.length === 0) return undefined
  const found = await client.post('mlflow/runs/search', {
    experiment_ids: (experiments as { experiment_id: string }[]).map((e) => e.experiment_id),
    filter: `tags.\`wharf.pipeline_run\` = '${ctx.runId}'`,
    order_by: ['attributes.start_time DESC'],
    max_results: 1,
  })
  return (found.runs as { info: { run_id: string } }[] | undefined)?.[0]?.info.run_id
}
