import type { ApprovalRecord, LogLine, NewRun, PipelineRun, RunOwner, RunStatus, StageStatus, StepStatus } from './entities.js'
import type { ServerClient } from './pipeline-client.js'
import type { PipelineStore } from '../store/pipeline-store.js'
import { fromWireRun, type WireRun } from './pipeline-wire.js'

/**
 * Where the runner records a run as it goes. Everything it is given is already masked.
 * `HttpRunRecorder` talks to a wharf server; `StoreRunRecorder` writes a store in-process (tests).
 */
export interface RunRecorder {
  create(run: Omit<NewRun, 'actor'>): Promise<PipelineRun>
  claim(runId: string, owner: RunOwner): Promise<PipelineRun>
  findByKey(pipeline: string, runKey: string): Promise<PipelineRun | undefined>
  heartbeat(runId: string, owner: RunOwner): Promise<void>
  setStage(runId: string, stage: string, status: StageStatus): Promise<void>
  startStep(runId: string, step: string): Promise<void>
  setStepStatus(runId: string, step: string, status: StepStatus): Promise<void>
  finishStep(runId: string, step: string, result: { status: StepStatus; outputs: Readonly<Record<string, string>>; error?: string | undefined }): Promise<void>
  appendLogs(runId: string, lines: readonly Omit<LogLine, 'logId'>[]): Promise<void>
  decision(runId: string, step: string): Promise<Pick<ApprovalRecord, 'decision' | 'actor' | 'comment'> | undefined>
  finish(runId: string, status: RunStatus, error: string | undefined): Promise<PipelineRun>
}

export class HttpRunRecorder implements RunRecorder {
  readonly #client: ServerClient

  constructor(client: ServerClient) {
    this.#client = client
  }

  async create(run: Omit<NewRun, 'actor'>): Promise<PipelineRun> {
    // No file: the server records the one its operator configured for this pipeline.
    const body = {
      pipeline: run.pipeline,
      run_key: run.runKey,
      trigger: run.trigger,
      stages: run.stages,
      variables: run.variables,
      owner_pid: run.owner.pid,
      owner_host: run.owner.host,
      plan: run.plan,
    }
    return fromWireRun((await this.#client.post('wharf/pipelines/runs/create', JSON.parse(JSON.stringify(body)) as Record<string, unknown>)).run as WireRun)
  }

  async claim(runId: string, owner: RunOwner): Promise<PipelineRun> {
    return fromWireRun((await this.#client.post('wharf/pipelines/runs/claim', { run_id: runId, owner_pid: owner.pid, owner_host: owner.host })).run as WireRun)
  }

  async findByKey(pipeline: string, runKey: string): Promise<PipelineRun | undefined> {
    const found = await this.#client.get('wharf/pipelines/runs/find', { pipeline, run_key: runKey })
    return found.run ? fromWireRun(found.run as WireRun) : undefined
  }

  async heartbeat(runId: string, owner: RunOwner): Promise<void> {
    await this.#client.post('wharf/pipelines/runs/heartbeat', { run_id: runId, owner_pid: owner.pid, owner_host: owner.host })
  }

  async setStage(runId: string, stage: string, status: StageStatus): Promise<void> {
    await this.#client.post('wharf/pipelines/stages/update', { run_id: runId, stage, status })
  }

  async startStep(runId: string, step: string): Promise<void> {
    await this.#client.post('wharf/pipelines/steps/start', { run_id: runId, step })
  }

  async setStepStatus(runId: string, step: string, status: StepStatus): Promise<void> {
    await this.#client.post('wharf/pipelines/steps/status', { run_id: runId, step, status })
  }

  async finishStep(
    runId: string,
    step: string,
    r: { status: StepStatus; outputs: Readonly<Record<string, string>>; error?: string | undefined },
  ): Promise<void> {
    await this.#client.post('wharf/pipelines/steps/finish', {
      run_id: runId,
      step,
      status: r.status,
      outputs: r.outputs,
      ...(r.error !== undefined ? { error: r.error } : {}),
    })
  }

  async appendLogs(runId: string, lines: readonly Omit<LogLine, 'logId'>[]): Promise<void> {
    if (lines.length > 0) await this.#client.post('wharf/pipelines/logs/append', { run_id: runId, lines })
  }

  async decision(runId: string, step: string) {
    const d = await this.#client.get('wharf/pipelines/runs/decision', { run_id: runId, step })
    return d.decision
      ? { decision: d.decision as 'approved' | 'rejected', actor: d.actor as string, comment: (d.comment as string | null) ?? undefined }
      : undefined
  }

  async finish(runId: string, status: RunStatus, error: string | undefined): Promise<PipelineRun> {
    return fromWireRun(
      (await this.#client.post('wharf/pipelines/runs/finish', { run_id: runId, status, ...(error !== undefined ? { error } : {}) })).run as WireRun,
    )
  }
}

export class StoreRunRecorder implements RunRecorder {
  readonly #store: PipelineStore
  readonly #actor: string

  constructor(store: PipelineStore, actor = 'test') {
    this.#store = store
    this.#actor = actor
  }

  create(run: Omit<NewRun, 'actor'>) {
    return this.#store.createRun({ ...run, actor: this.#actor }, Date.now())
  }
  claim(runId: string, owner: RunOwner) {
    return this.#store.claimRun(runId, owner, Date.now())
  }
  findByKey(pipeline: string, runKey: string) {
    return this.#store.findRunByKey(pipeline, runKey)
  }
  heartbeat(runId: string, owner: RunOwner) {
    return this.#store.heartbeat(runId, owner, Date.now())
  }
  setStage(runId: string, stage: string, status: StageStatus) {
    return this.#store.setStage(runId, stage, status, Date.now())
  }
  startStep(runId: string, step: string) {
    return this.#store.startStep(runId, step, Date.now())
  }
  setStepStatus(runId: string, step: string, status: StepStatus) {
    return this.#store.setStepStatus(runId, step, status)
  }
  finishStep(runId: string, step: string, r: { status: StepStatus; outputs: Readonly<Record<string, string>>; error?: string | undefined }) {
    return this.#store.finishStep(runId, step, r, Date.now())
  }
  appendLogs(runId: string, lines: readonly Omit<LogLine, 'logId'>[]) {
    return this.#store.appendLogs(runId, lines)
  }
  decision(runId: string, step: string) {
    return this.#store.getDecision(runId, step)
  }
  finish(runId: string, status: RunStatus, error: string | undefined) {
    return this.#store.finishRun(runId, status, error, Date.now())
  }
}
