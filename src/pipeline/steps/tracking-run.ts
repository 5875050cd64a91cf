import { ServerClient } from '../pipeline-client.js'
import type { StepContext } from '../step-context.js'

/**
 * How a train step finds the MLflow run its command, notebook or Databricks job made: by, in order,
 * a `WHARF_RUN_ID=...` line it printed, the run URL MLflow prints (`.../runs/<id>`), or the
 * `wharf.pipeline_run` tag set from the WHARF_PIPELINE_RUN_ID environment variable.
 */
export function runIdFromLines(lines: readonly string[]): string | undefined {
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

export async function runIdFromTag(ctx: StepContext): Promise<string | undefined> {
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

/**
 * The model a run made: a `WHARF_MODEL_URI=...` line, else the one logged model the run produced
 * (MLflow 3 logs models outside the run's artifacts, as `models:/m-...`), else the run's `model` folder.
 */
export async function modelUriOf(ctx: StepContext, runId: string, lines: readonly string[]): Promise<string> {
  const printed = [...lines]
    .reverse()
    .map((l) => /WHARF_MODEL_URI=(\S+)/.exec(l)?.[1])
    .find((u) => u !== undefined)
  if (printed) return printed
  const client = new ServerClient(ctx.connection)
  const fallback = `runs:/${runId}/model`
  let experimentId: string
  try {
    experimentId = (await client.get('mlflow/runs/get', { run_id: runId })).run.info.experiment_id
  } catch (err) {
    // A run this server does not know: the register step after this one says so.
    if ((err as { status?: number }).status === 404) return fallback
    throw err
  }
  const found = await client.post('mlflow/logged-models/search', { experiment_ids: [experimentId], filter: `source_run_id = '${runId}'`, max_results: 2 })
  const models = (found.models ?? []) as { info: { model_id: string } }[]
  return models.length === 1 ? `models:/${models[0]!.info.model_id}` : fallback
}
