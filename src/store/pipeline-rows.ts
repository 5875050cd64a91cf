import type { PipelineRun, RunStatus, StageRecord, StageStatus, StepRecord, StepStatus } from '../pipeline/entities.js'

/**
 * Rows of the pipeline tables (SQLite migration 4, the same columns on PostgreSQL) and their
 * entities: one mapping for both stores, so a column added to one cannot be missed by the other.
 */
export interface RunRow {
  run_id: string
  pipeline: string
  file: string
  run_key: string | null
  status: string
  trigger: string
  stages: string | null
  variables: string
  actor: string
  start_time: number
  end_time: number | null
  error: string | null
}
export interface StageRow {
  stage: string
  position: number
  status: string
  start_time: number | null
  end_time: number | null
}
export interface StepRow {
  step: string
  stage: string
  position: number
  kind: string
  status: string
  attempts: number
  start_time: number | null
  end_time: number | null
  outputs: string
  error: string | null
}
export interface LockRow {
  pipeline: string
  run_id: string
  owner_pid: number
  owner_host: string
  heartbeat_time: number
}

export const toStage = (r: StageRow): StageRecord => ({
  stage: r.stage,
  position: r.position,
  status: r.status as StageStatus,
  startTime: r.start_time ?? undefined,
  endTime: r.end_time ?? undefined,
})
export const toStep = (r: StepRow): StepRecord => ({
  step: r.step,
  stage: r.stage,
  position: r.position,
  kind: r.kind,
  status: r.status as StepStatus,
  attempts: r.attempts,
  startTime: r.start_time ?? undefined,
  endTime: r.end_time ?? undefined,
  outputs: JSON.parse(r.outputs) as Record<string, string>,
  error: r.error ?? undefined,
})
export const toRun = (r: RunRow, stages: StageRecord[] = [], steps: StepRecord[] = []): PipelineRun => ({
  runId: r.run_id,
  pipeline: r.pipeline,
  file: r.file,
  runKey: r.run_key ?? undefined,
  status: r.status as RunStatus,
  trigger: JSON.parse(r.trigger) as Record<string, unknown>,
  stages: r.stages === null ? undefined : (JSON.parse(r.stages) as string[]),
  variables: JSON.parse(r.variables) as Record<string, string>,
  actor: r.actor,
  startTime: r.start_time,
  endTime: r.end_time ?? undefined,
  error: r.error ?? undefined,
  stageRecords: stages,
  stepRecords: steps,
})
