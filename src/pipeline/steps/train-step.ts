import { resolve } from 'node:path'
import type { StepContext, StepFunction, StepSpec } from '../step-context.js'
import { trainWithNotebook } from './notebook-step.js'
import { runShell } from './shell-command.js'
import { modelUriOf, runIdFromLines, runIdFromTag } from './tracking-run.js'

/**
 * `train`: the built-in trainer (`wharf train`), or any command — a Python script using `mlflow`
 * works the same. The command's run is found by, in order: a `WHARF_RUN_ID=...` line it prints,
 * the run URL MLflow prints (`.../runs/<id>`), or the `wharf.pipeline_run` tag it set from the
 * WHARF_PIPELINE_RUN_ID environment variable. A `WHARF_MODEL_URI=...` line names the model when it is
 * not the run's `model` folder (MLflow 3 logs models as `models:/m-...`).
 */
export const trainStep: StepFunction<'train'> = async (spec, ctx) => {
  if ('command' in spec) return trainWithCommand(spec, ctx)
  if ('notebook' in spec) return trainWithNotebook(spec, ctx)
  return trainBuiltIn(spec, ctx)
}

async function trainBuiltIn(spec: Exclude<StepSpec<'train'>, { command: string } | { notebook: string }>, ctx: StepContext): Promise<Record<string, string>> {
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
  return { run_id: runId, model_uri: await modelUriOf(ctx, runId, result.lines) }
}
