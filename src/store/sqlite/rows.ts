import type { DatasetInput, Experiment, LifecycleStage, LoggedModel, LoggedModelStatus, Metric, RunInfo, RunStatus, Tag } from '../../tracking/entities.js'

/** Row shapes as SQLite returns them, and their mapping to entities. Nothing else knows column names. */
export interface ExperimentRow {
  experiment_id: number
  name: string
  artifact_location: string
  lifecycle_stage: string
  creation_time: number
  last_update_time: number
}

export interface RunRow {
  run_uuid: string
  name: string
  experiment_id: number
  user_id: string
  status: string
  start_time: number
  end_time: number | null
  artifact_uri: string
  lifecycle_stage: string
}

export interface MetricRow {
  run_uuid?: string
  key: string
  value: number
  is_nan: number
  timestamp: number
  step: number
  model_id?: string | null
  dataset_name?: string | null
  dataset_digest?: string | null
}

export interface KeyValueRow {
  owner: string
  key: string
  value: string
}

export interface LoggedModelRow {
  model_id: string
  experiment_id: number
  name: string
  artifact_uri: string
  status: string
  status_message: string | null
  model_type: string | null
  source_run_id: string | null
  creation_timestamp_ms: number
  last_updated_timestamp_ms: number
}

export interface DatasetInputRow {
  run_uuid: string
  input_id: number
  name: string
  digest: string
  source_type: string
  source: string
  schema: string | null
  profile: string | null
}

export const toExperiment = (row: ExperimentRow, tags: readonly Tag[]): Experiment => ({
  experimentId: String(row.experiment_id),
  name: row.name,
  artifactLocation: row.artifact_location,
  lifecycleStage: row.lifecycle_stage as LifecycleStage,
  creationTime: row.creation_time,
  lastUpdateTime: row.last_update_time,
  tags,
})

export const toRunInfo = (row: RunRow): RunInfo => ({
  runId: row.run_uuid,
  runName: row.name,
  experimentId: String(row.experiment_id),
  userId: row.user_id,
  status: row.status as RunStatus,
  startTime: row.start_time,
  endTime: row.end_time,
  artifactUri: row.artifact_uri,
  lifecycleStage: row.lifecycle_stage as LifecycleStage,
})

// SQLite has no NaN (it stores NULL), so NaN is kept as is_nan = 1 with a placeholder value.
export const toMetric = (row: MetricRow): Metric => ({
  key: row.key,
  value: row.is_nan ? Number.NaN : row.value,
  timestamp: row.timestamp,
  step: row.step,
  modelId: row.model_id ?? undefined,
  datasetName: row.dataset_name ?? undefined,
  datasetDigest: row.dataset_digest ?? undefined,
  runId: row.run_uuid,
})

export const metricValueColumns = (value: number): { value: number; isNan: number } => (Number.isNaN(value) ? { value: 0, isNan: 1 } : { value, isNan: 0 })

export const toLoggedModel = (row: LoggedModelRow, tags: readonly Tag[], params: readonly Tag[], metrics: readonly Metric[]): LoggedModel => ({
  modelId: row.model_id,
  experimentId: String(row.experiment_id),
  name: row.name,
  artifactUri: row.artifact_uri,
  status: row.status as LoggedModelStatus,
  statusMessage: row.status_message ?? undefined,
  modelType: row.model_type ?? undefined,
  sourceRunId: row.source_run_id ?? undefined,
  creationTimestampMs: row.creation_timestamp_ms,
  lastUpdatedTimestampMs: row.last_updated_timestamp_ms,
  tags,
  params,
  metrics,
})

export const toDatasetInput = (row: DatasetInputRow, tags: readonly Tag[]): DatasetInput => ({
  tags,
  dataset: {
    name: row.name,
    digest: row.digest,
    sourceType: row.source_type,
    source: row.source,
    schema: row.schema ?? undefined,
    profile: row.profile ?? undefined,
  },
})

/** Groups `(owner, key, value)` rows by owner, keeping their order. */
export function groupByOwner<T>(rows: readonly (T & { owner: string })[]): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const row of rows) {
    let list = out.get(row.owner)
    if (!list) {
      list = []
      out.set(row.owner, list)
    }
    list.push(row)
  }
  return out
}

export const toTag = (row: { key: string; value: string }): Tag => ({ key: row.key, value: row.value })
