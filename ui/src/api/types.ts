/** The server's JSON as the UI reads it (snake_case, as on the wire). */

export interface KeyValue {
  key: string
  value: string
}

export interface Experiment {
  experiment_id: string
  name: string
  artifact_location?: string
  lifecycle_stage?: string
  creation_time?: number
  last_update_time?: number
  tags?: KeyValue[]
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED'

export interface RunInfo {
  run_id: string
  run_name?: string
  experiment_id: string
  user_id?: string
  status: RunStatus
  start_time?: number
  end_time?: number
  artifact_uri?: string
  lifecycle_stage?: string
}

/** A wire double: a number, or "NaN" / "Infinity" / "-Infinity". */
export type WireNumber = number | string

export interface Metric {
  key: string
  value: WireNumber
  timestamp?: number
  step?: number
}

export interface Run {
  info: RunInfo
  data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] }
  inputs?: { dataset_inputs?: { dataset: { name: string; digest: string; source_type?: string }; tags?: KeyValue[] }[] }
}

/** One row of `/wharf/runs/table`: what the table shows of the run, and only the chosen columns. */
export interface RunRow {
  run_id: string
  run_name?: string
  status: RunStatus
  user_id?: string
  start_time?: number
  end_time?: number
  metrics: Record<string, WireNumber>
  params: Record<string, string>
  tags: Record<string, string>
}

export interface RunKeys {
  metric_keys: string[]
  param_keys: string[]
  tag_keys: string[]
}

export interface MetricSeries {
  run_id: string
  steps: number[]
  values: (WireNumber | null)[]
  total_points: number
  sampled: boolean
  first_step: number | null
  last_step: number | null
}

export interface FileInfo {
  path: string
  is_dir?: boolean
  file_size?: number
}

export interface ModelVersion {
  name: string
  version: string
  creation_timestamp?: number
  last_updated_timestamp?: number
  user_id?: string
  current_stage?: string
  description?: string
  source?: string
  run_id?: string
  status?: string
  tags?: KeyValue[]
  aliases?: string[]
}

export interface RegisteredModel {
  name: string
  creation_timestamp?: number
  last_updated_timestamp?: number
  description?: string
  latest_versions?: ModelVersion[]
  tags?: KeyValue[]
  aliases?: { alias: string; version: string }[]
}

export interface RegistryEvent {
  event_id: number
  event: string
  model: string
  version?: string
  alias?: string
  time: number
  actor: string
  data?: Record<string, unknown>
}

export interface Instance {
  version: string
  role: 'live' | 'canary' | 'shadow' | 'standby'
  weight: number
  port: number
  url: string
  pid: number | null
  container_name: string | null
  image: string | null
  health: string
  restarts: number
  start_time: number
}

export interface Endpoint {
  environment: string
  model_name: string
  target: string
  url: string | null
  live_version: string | null
  since: number | null
  health: 'ready' | 'degraded' | 'down' | 'unknown'
  traffic: { weights: Record<string, number>; shadow: { version: string; percent: number } | null }
  instances: Instance[]
}

export interface DeployChange {
  change_id: number
  time: number
  actor: string
  action: string
  environment: string
  model_name: string
  from_version: string | null
  to_version: string | null
  data: Record<string, unknown>
}

export interface InstanceTraffic {
  version: string
  role: string
  url: string
  requests_per_second: number | null
  errors_per_second: number | null
  p50_ms: number | null
  p99_ms: number | null
  requests_total: number | null
  window_seconds: number | null
  error: string | null
}

export type PipelineStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | string
export type StepStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped'

export interface PipelineStage {
  stage: string
  position: number
  status: string
  start_time: number | null
  end_time: number | null
}

export interface PipelineStep {
  step: string
  stage: string
  position: number
  kind: string
  status: StepStatus
  attempts: number
  start_time: number | null
  end_time: number | null
  outputs: Record<string, string>
  error: string | null
}

export interface PipelineRun {
  run_id: string
  pipeline: string
  file: string
  run_key: string | null
  status: PipelineStatus
  trigger: Record<string, unknown>
  selected_stages: string[] | null
  variables: Record<string, string>
  actor: string
  start_time: number
  end_time: number | null
  error: string | null
  stages: PipelineStage[]
  steps: PipelineStep[]
}

export interface LogLine {
  log_id: number
  stage: string
  step: string
  time: number
  line: string
}
