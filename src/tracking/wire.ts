import type { DatasetInput, Experiment, FileInfo, LoggedModel, Metric, Run, RunInfo, Tag } from './entities.js'

/**
 * Entities to MLflow's JSON (protobuf JSON as MLflow's server emits it): snake_case, int64 as
 * numbers, NaN/±Infinity as strings, and unset or empty fields left out (docs/protocols.md §0).
 */
type Json = Record<string, unknown>

/**
 * Drops unset and empty fields, as MLflow's protobuf JSON leaves them out. Copies the set ones into a
 * new object rather than deleting: a `delete` turns a V8 object into a slow dictionary, which made
 * building and serializing a 100-run search page take twice as long.
 */
export const compact = (o: Json): Json => {
  const out: Json = {}
  for (const k in o) {
    const v = o[k]
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) out[k] = v
  }
  return out
}

export const toWireDouble = (v: number): number | string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v)

const tags = (list: readonly Tag[]) => list.map((t) => ({ key: t.key, value: t.value }))

export const toWireExperiment = (e: Experiment): Json =>
  compact({
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    tags: tags(e.tags),
  })

// Hot path (a 100,000-point history is one response): build the object once, no deletes.
export function toWireMetric(m: Metric, withRunId = false): Json {
  const out: Json = { key: m.key, value: toWireDouble(m.value), timestamp: m.timestamp, step: m.step }
  if (m.datasetName !== undefined) out.dataset_name = m.datasetName
  if (m.datasetDigest !== undefined) out.dataset_digest = m.datasetDigest
  if (m.modelId !== undefined) out.model_id = m.modelId
  if (withRunId && m.runId !== undefined) out.run_id = m.runId
  return out
}

export const toWireRunInfo = (i: RunInfo): Json =>
  compact({
    run_id: i.runId,
    run_uuid: i.runId,
    run_name: i.runName,
    experiment_id: i.experimentId,
    user_id: i.userId,
    status: i.status,
    start_time: i.startTime,
    end_time: i.endTime,
    artifact_uri: i.artifactUri,
    lifecycle_stage: i.lifecycleStage,
  })

const toWireDatasetInput = (d: DatasetInput): Json => ({
  tags: tags(d.tags),
  dataset: compact({
    name: d.dataset.name,
    digest: d.dataset.digest,
    source_type: d.dataset.sourceType,
    source: d.dataset.source,
    schema: d.dataset.schema,
    profile: d.dataset.profile,
  }),
})

export const toWireRun = (r: Run): Json =>
  compact({
    info: toWireRunInfo(r.info),
    data: compact({
      metrics: r.data.metrics.map((m) => toWireMetric(m)),
      params: tags(r.data.params),
      tags: tags(r.data.tags),
    }),
    inputs: compact({
      dataset_inputs: r.inputs.datasetInputs.map(toWireDatasetInput),
      model_inputs: r.inputs.modelInputs.map((m) => ({ model_id: m.modelId })),
    }),
    outputs: r.outputs.modelOutputs.length ? { model_outputs: r.outputs.modelOutputs.map((m) => ({ model_id: m.modelId, step: m.step })) } : undefined,
  })

export const toWireFileInfo = (f: FileInfo): Json => compact({ path: f.path, is_dir: f.isDir, file_size: f.isDir ? undefined : f.fileSize })

export const toWireLoggedModel = (m: LoggedModel): Json => ({
  info: compact({
    model_id: m.modelId,
    experiment_id: m.experimentId,
    name: m.name,
    creation_timestamp_ms: m.creationTimestampMs,
    last_updated_timestamp_ms: m.lastUpdatedTimestampMs,
    artifact_uri: m.artifactUri,
    status: m.status,
    model_type: m.modelType,
    source_run_id: m.sourceRunId,
    status_message: m.statusMessage,
    tags: tags(m.tags),
  }),
  data: compact({
    params: tags(m.params),
    metrics: m.metrics.map((x) => toWireMetric(x, true)),
  }),
})
