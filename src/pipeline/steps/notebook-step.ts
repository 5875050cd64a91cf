import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { TrackingClient } from '../../client/index.js'
import type { NotebookTrainSpec } from '../pipeline-file.js'
import type { StepContext } from '../step-context.js'
import { runNotebook } from './notebook-runner.js'
import { modelUriOf, runIdFromLines, runIdFromTag } from './tracking-run.js'

/** Where in the run's artifacts the executed notebook goes. */
const notebookArtifactFolder = 'notebooks'

/**
 * `train: { notebook: train.ipynb, python: .venv/bin/python, parameters: {...} }`: runs the
 * notebook in that Python environment with papermill-style parameters (notebook-runner.ts), with
 * MLFLOW_TRACKING_URI (and token) pointing at this Wharf server like every step's environment.
 * The run it made is found as for a training command (tracking-run.ts), and the executed notebook,
 * outputs included and secrets masked, is logged to that run, also when a cell failed.
 */
export async function trainWithNotebook(spec: NotebookTrainSpec, ctx: StepContext): Promise<Record<string, string>> {
  const notebook = resolve(ctx.dir, spec.notebook)
  const python = spec.python.includes('/') ? resolve(ctx.dir, spec.python) : spec.python
  const env = { ...ctx.env, ...(spec.experiment ? { MLFLOW_EXPERIMENT_NAME: spec.experiment } : {}) }
  const names = Object.keys(spec.parameters)
  ctx.log(`running ${spec.notebook} with ${spec.python}${names.length > 0 ? ` (parameters: ${names.join(', ')})` : ''}`)
  const run = await runNotebook(notebook, spec.parameters, python, { cwd: ctx.dir, env, log: ctx.log, timeoutMs: spec.timeout, signal: ctx.signal })
  try {
    const runId = runIdFromLines(run.lines) ?? (await runIdFromTag(ctx))
    let notebookUri: string | undefined
    if (runId !== undefined && run.executed !== undefined) notebookUri = await logExecutedNotebook(ctx, runId, basename(notebook), run.executed)
    if (run.failure !== undefined) throw new Error(`${spec.notebook}: ${run.failure}${notebookUri ? `; the executed notebook is ${notebookUri}` : ''}`)
    if (runId === undefined) {
      throw new Error(
        `cannot tell which run ${spec.notebook} made: end a run with mlflow (it prints the run's URL), print 'WHARF_RUN_ID=<run id>', or set the tag wharf.pipeline_run to the WHARF_PIPELINE_RUN_ID environment variable`,
      )
    }
    return { run_id: runId, model_uri: await modelUriOf(ctx, runId, run.lines), notebook_uri: notebookUri ?? '' }
  } finally {
    await run.cleanUp()
  }
}

/** Uploads the executed notebook, every string in it masked (a cell may print a secret), under `notebooks/`. */
async function logExecutedNotebook(ctx: StepContext, runId: string, name: string, executed: string): Promise<string> {
  const client = new TrackingClient({ trackingUri: ctx.connection.trackingUri!, ...(ctx.connection.token ? { token: ctx.connection.token } : {}) })
  const { artifact_uri: artifactUri } = await client.getRun(runId)
  const scratch = await mkdtemp(join(tmpdir(), 'wharf-notebook-log-'))
  try {
    const file = join(scratch, name)
    await writeFile(file, JSON.stringify(ctx.mask(JSON.parse(executed) as unknown), null, 1))
    await client.uploadArtifacts(artifactUri, file, `${notebookArtifactFolder}/${name}`)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  const uri = `runs:/${runId}/${notebookArtifactFolder}/${name}`
  ctx.log(`logged the executed notebook to run ${runId} as ${uri}`)
  return uri
}
