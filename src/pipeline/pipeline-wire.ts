import type { LogLine, PipelineRun, StageRecord, StepRecord } from './entities.js'

/** Pipeline runs in snake_case JSON, as the REST API answers and the CLI reads them. */
const toWireStage = (s: StageRecord) => ({
  stage: s.stage,
  position: s.position,
  status: s.status,
  start_time: s.startTime ?? null,
  end_time: s.endTime ?? null,
})
const toWireStep = (s: StepRecord) => ({
  step: s.step,
  stage: s.stage,
  position: s.position,
  kind: s.kind,
  status: s.status,
  attempts: s.attempts,
  start_time: s.startTime ?? null,
  end_time: s.endTime ?? null,
  outputs: s.outputs,
  error: s.error ?? null,
})
export const toWireRun = (r: PipelineRun) => ({
  run_id: r.runId,
  pipeline: r.pipeline,
  file: r.file,
  run_key: r.runKey ?? null,
  status: r.status,
  trigger: r.trigger,
  selected_stages: r.stages ?? null,
  variables: r.variables,
  actor: r.actor,
  start_time: r.startTime,
  end_time: r.endTime ?? null,
  error: r.error ?? null,
  stages: r.stageRecords.map(toWireStage),
  steps: r.stepRecords.map(toWireStep),
})
export const toWireLog = (l: LogLine) => ({ log_id: l.logId, stage: l.stage, step: l.step, time: l.time, line: l.line })

export type WireRun = ReturnType<typeof toWireRun>
export type WireStep = ReturnType<typeof toWireStep>
export type WireLog = ReturnType<typeof toWireLog>

/** The other way, for the runner reading what the server recorded. */
export const fromWireRun = (w: WireRun): PipelineRun => ({
  runId: w.run_id,
  pipeline: w.pipeline,
  file: w.file,
  runKey: w.run_key ?? undefined,
  status: w.status,
  trigger: w.trigger,
  stages: w.selected_stages ?? undefined,
  variables: w.variables,
  actor: w.actor,
  startTime: w.start_time,
  endTime: w.end_time ?? undefined,
  error: w.error ?? undefined,
  stageRecords: w.stages.map((s) => ({
    stage: s.stage,
    position: s.position,
    status: s.status,
    startTime: s.start_time ?? undefined,
    endTime: s.end_time ?? undefined,
  })),
  stepRecords: w.steps.map((s) => ({
    step: s.step,
    stage: s.stage,
    position: s.position,
    kind: s.kind,
    status: s.status,
    attempts: s.attempts,
    startTime: s.start_time ?? undefined,
    endTime: s.end_time ?? undefined,
    outputs: s.outputs,
    error: s.error ?? undefined,
  })),
})
