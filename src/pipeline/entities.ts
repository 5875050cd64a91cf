/** What the server keeps about pipeline runs (tables from migration 4). */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted'
export type StageStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped'
export type StepStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped'
export type Decision = 'approved' | 'rejected'

/** Who runs a pipeline: a process on a host, alive while its heartbeat is fresh. */
export interface RunOwner {
  readonly pid: number
  readonly host: string
}

export interface StageRecord {
  readonly stage: string
  readonly position: number
  readonly status: StageStatus
  readonly startTime: number | undefined
  readonly endTime: number | undefined
}

export interface StepRecord {
  readonly step: string
  readonly stage: string
  readonly position: number
  readonly kind: string
  readonly status: StepStatus
  readonly attempts: number
  readonly startTime: number | undefined
  readonly endTime: number | undefined
  readonly outputs: Readonly<Record<string, string>>
  readonly error: string | undefined
}

export interface PipelineRun {
  readonly runId: string
  readonly pipeline: string
  readonly file: string
  readonly runKey: string | undefined
  readonly status: RunStatus
  readonly trigger: Readonly<Record<string, unknown>>
  /** Only these stages run (a webhook trigger or `--stage`); undefined means all. */
  readonly stages: readonly string[] | undefined
  readonly variables: Readonly<Record<string, string>>
  readonly actor: string
  readonly startTime: number
  readonly endTime: number | undefined
  readonly error: string | undefined
  readonly stageRecords: readonly StageRecord[]
  readonly stepRecords: readonly StepRecord[]
}

export interface NewRun {
  readonly pipeline: string
  readonly file: string
  readonly runKey?: string | undefined
  readonly trigger: Readonly<Record<string, unknown>>
  readonly stages?: readonly string[] | undefined
  readonly variables: Readonly<Record<string, string>>
  readonly actor: string
  /** Every stage and step in order, recorded as pending. */
  readonly plan: readonly { readonly stage: string; readonly steps: readonly { readonly step: string; readonly kind: string }[] }[]
  readonly owner: RunOwner
}

export interface LogLine {
  readonly logId: number
  readonly stage: string
  readonly step: string
  readonly time: number
  readonly line: string
}

export interface ApprovalRecord {
  readonly step: string
  readonly decision: Decision
  readonly actor: string
  readonly comment: string | undefined
  readonly time: number
}
