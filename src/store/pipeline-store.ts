import type { ApprovalRecord, Decision, LogLine, NewRun, PipelineRun, RunOwner, RunStatus, StageStatus, StepStatus } from '../pipeline/entities.js'

/**
 * Pipeline runs as the server keeps them. Every call that changes a run names its owner; the
 * lock (one per pipeline) is taken by `createRun` / `claimRun` and let go by `finishRun`.
 */
export interface PipelineStore {
  /** Records the run and its plan and takes the pipeline's lock; RESOURCE_CONFLICT if a live runner holds it. */
  createRun(run: NewRun, time: number): Promise<PipelineRun>
  /** Takes the lock again for an unfinished run (resume, or the next CI job of the same run key). */
  claimRun(runId: string, owner: RunOwner, time: number): Promise<PipelineRun>
  /** The run holding the pipeline's lock, if its owner is alive. */
  lockHolder(pipeline: string, time: number): Promise<string | undefined>
  /** Keeps the lock fresh; RESOURCE_CONFLICT if another owner took it. */
  heartbeat(runId: string, owner: RunOwner, time: number): Promise<void>
  /** RESOURCE_DOES_NOT_EXIST if unknown. */
  getRun(runId: string): Promise<PipelineRun>
  findRunByKey(pipeline: string, runKey: string): Promise<PipelineRun | undefined>
  /** Newest first, without stage and step records. */
  listRuns(query: { pipeline?: string | undefined; limit: number }): Promise<PipelineRun[]>
  setStage(runId: string, stage: string, status: StageStatus, time: number): Promise<void>
  /** Marks a step running and counts the attempt. */
  startStep(runId: string, step: string, time: number): Promise<void>
  setStepStatus(runId: string, step: string, status: StepStatus): Promise<void>
  /** The step's end status and outputs in one write: a finished step is never run again. */
  finishStep(
    runId: string,
    step: string,
    result: { status: StepStatus; outputs: Readonly<Record<string, string>>; error?: string | undefined },
    time: number,
  ): Promise<void>
  appendLogs(runId: string, lines: readonly Omit<LogLine, 'logId'>[]): Promise<void>
  listLogs(runId: string, query: { afterId?: number | undefined; limit: number }): Promise<LogLine[]>
  /** RESOURCE_CONFLICT if the run has finished or the step is already decided. */
  decide(runId: string, approval: Omit<ApprovalRecord, 'decision'> & { decision: Decision }): Promise<void>
  getDecision(runId: string, step: string): Promise<ApprovalRecord | undefined>
  /** Sets the final status and releases the lock. */
  finishRun(runId: string, status: RunStatus, error: string | undefined, time: number): Promise<PipelineRun>
  close(): Promise<void>
}
