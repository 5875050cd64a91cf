/**
 * Tracking entities as the code sees them (camelCase). The wire form (snake_case, MLflow JSON)
 * is produced only by `tracking/wire.ts`.
 */
export interface Tag {
  readonly key: string
  readonly value: string
}

export type LifecycleStage = 'active' | 'deleted'
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED'
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL'

export interface Experiment {
  readonly experimentId: string
  readonly name: string
  readonly artifactLocation: string
  readonly lifecycleStage: LifecycleStage
  readonly creationTime: number
  readonly lastUpdateTime: number
  readonly tags: readonly Tag[]
}

export interface RunInfo {
  readonly runId: string
  readonly runName: string
  readonly experimentId: string
  readonly userId: string
  readonly status: RunStatus
  readonly startTime: number
  readonly endTime: number | null
  readonly artifactUri: string
  readonly lifecycleStage: LifecycleStage
}

export interface Metric {
  readonly key: string
  /** May be NaN or ±Infinity; the wire form spells those as strings. */
  readonly value: number
  readonly timestamp: number
  readonly step: number
  readonly modelId?: string | undefined
  readonly datasetName?: string | undefined
  readonly datasetDigest?: string | undefined
  readonly runId?: string | undefined
}

export interface Dataset {
  readonly name: string
  readonly digest: string
  readonly sourceType: string
  readonly source: string
  readonly schema?: string | undefined
  readonly profile?: string | undefined
}

export interface DatasetInput {
  readonly tags: readonly Tag[]
  readonly dataset: Dataset
}

export interface Run {
  readonly info: RunInfo
  readonly data: { readonly metrics: readonly Metric[]; readonly params: readonly Tag[]; readonly tags: readonly Tag[] }
  readonly inputs: { readonly datasetInputs: readonly DatasetInput[]; readonly modelInputs: readonly { modelId: string }[] }
  readonly outputs: { readonly modelOutputs: readonly { modelId: string; step: number }[] }
}

export interface RunBatch {
  readonly metrics: readonly Metric[]
  readonly params: readonly Tag[]
  readonly tags: readonly Tag[]
}

export type LoggedModelStatus = 'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED'

export interface LoggedModel {
  readonly modelId: string
  readonly experimentId: string
  readonly name: string
  readonly artifactUri: string
  readonly status: LoggedModelStatus
  readonly statusMessage?: string | undefined
  readonly modelType?: string | undefined
  readonly sourceRunId?: string | undefined
  readonly creationTimestampMs: number
  readonly lastUpdatedTimestampMs: number
  readonly tags: readonly Tag[]
  readonly params: readonly Tag[]
  readonly metrics: readonly Metric[]
}

export interface FileInfo {
  readonly path: string
  readonly isDir: boolean
  readonly fileSize?: number | undefined
}

export interface Page<T> {
  readonly items: readonly T[]
  readonly nextPageToken?: string | undefined
}
