import { randomUUID } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import { MlflowError, conflict, notFound } from '../../errors.js'
import type { ApprovalRecord, LogLine, NewRun, PipelineRun, RunOwner, RunStatus, StageStatus, StepStatus } from '../../pipeline/entities.js'
import type { PipelineStore } from '../pipeline-store.js'
import { type RunRow, type StageRow, type StepRow, type LockRow, toStage, toStep, toRun } from '../pipeline-rows.js'

export interface SqlitePipelineStoreOptions {
  readonly ownsDb?: boolean
  /** Whether a lock holder still runs; by default its heartbeat is fresh and, on this host, its pid is alive. */
  readonly isOwnerAlive: (owner: RunOwner, heartbeatTime: number, now: number) => boolean
}

const busy = (lock: LockRow) =>
  conflict(`pipeline '${lock.pipeline}' is already running (run ${lock.run_id}, pid ${lock.owner_pid} on ${lock.owner_host}); wait for it, or resume that run`)

/** Pipeline runs on the server's SQLite database. Lock checks and writes share one transaction. */
export class SqlitePipelineStore implements PipelineStore {
  readonly #db: Database
  readonly #options: SqlitePipelineStoreOptions

  constructor(db: Database, options: SqlitePipelineStoreOptions) {
    this.#db = db
    this.#options = options
  }

  #takeLock(pipeline: string, runId: string, owner: RunOwner, time: number): void {
    const lock = this.#db.prepare('SELECT * FROM pipeline_locks WHERE pipeline = ?').get(pipeline) as LockRow | undefined
    const isSameOwner = lock && lock.run_id === runId && lock.owner_pid === owner.pid && lock.owner_host === owner.host
    if (lock && !isSameOwner && this.#options.isOwnerAlive({ pid: lock.owner_pid, host: lock.owner_host }, lock.heartbeat_time, time)) throw busy(lock)
    if (lock && lock.run_id !== runId) {
      // The previous holder died without finishing: its run is interrupted, to be resumed.
      this.#db.prepare("UPDATE pipeline_runs SET status = 'interrupted' WHERE run_id = ? AND status = 'running'").run(lock.run_id)
    }
    this.#db
      .prepare(
        'INSERT INTO pipeline_locks (pipeline, run_id, owner_pid, owner_host, heartbeat_time) VALUES (?, ?, ?, ?, ?) ON CONFLICT (pipeline) DO UPDATE SET run_id = excluded.run_id, owner_pid = excluded.owner_pid, owner_host = excluded.owner_host, heartbeat_time = excluded.heartbeat_time',
      )
      .run(pipeline, runId, owner.pid, owner.host, time)
  }

  async createRun(run: NewRun, time: number): Promise<PipelineRun> {
    const runId = randomUUID().replace(/-/g, '').slice(0, 16)
    this.#db.transaction(() => {
      this.#takeLock(run.pipeline, runId, run.owner, time)
      this.#db
        .prepare(
          'INSERT INTO pipeline_runs (run_id, pipeline, file, run_key, status, trigger, stages, variables, actor, start_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          runId,
          run.pipeline,
          run.file,
          run.runKey ?? null,
          'running',
          JSON.stringify(run.trigger),
          run.stages ? JSON.stringify(run.stages) : null,
          JSON.stringify(run.variables),
          run.actor,
          time,
        )
      const stage = this.#db.prepare("INSERT INTO pipeline_stages (run_id, stage, position, status) VALUES (?, ?, ?, 'pending')")
      const step = this.#db.prepare("INSERT INTO pipeline_steps (run_id, step, stage, position, kind, status) VALUES (?, ?, ?, ?, ?, 'pending')")
      let position = 0
      run.plan.forEach((s, i) => {
        stage.run(runId, s.stage, i)
        for (const st of s.steps) step.run(runId, st.step, s.stage, position++, st.kind)
      })
    })()
    return this.getRun(runId)
  }

  async claimRun(runId: string, owner: RunOwner, time: number): Promise<PipelineRun> {
    this.#db.transaction(() => {
      const row = this.#runRow(runId)
      this.#takeLock(row.pipeline, runId, owner, time)
      this.#db.prepare("UPDATE pipeline_runs SET status = 'running', end_time = NULL, error = NULL WHERE run_id = ?").run(runId)
    })()
    return this.getRun(runId)
  }

  async lockHolder(pipeline: string, time: number): Promise<string | undefined> {
    const lock = this.#db.prepare('SELECT * FROM pipeline_locks WHERE pipeline = ?').get(pipeline) as LockRow | undefined
    return lock && this.#options.isOwnerAlive({ pid: lock.owner_pid, host: lock.owner_host }, lock.heartbeat_time, time) ? lock.run_id : undefined
  }

  async heartbeat(runId: string, owner: RunOwner, time: number): Promise<void> {
    const result = this.#db
      .prepare('UPDATE pipeline_locks SET heartbeat_time = ? WHERE run_id = ? AND owner_pid = ? AND owner_host = ?')
      .run(time, runId, owner.pid, owner.host)
    if (result.changes === 0) throw conflict(`run ${runId} no longer holds its pipeline's lock`)
  }

  #runRow(runId: string): RunRow {
    const row = this.#db.prepare('SELECT * FROM pipeline_runs WHERE run_id = ?').get(runId) as RunRow | undefined
    if (!row) throw notFound(`pipeline run '${runId}' does not exist`)
    return row
  }

  async getRun(runId: string): Promise<PipelineRun> {
    const row = this.#runRow(runId)
    const stages = this.#db.prepare('SELECT * FROM pipeline_stages WHERE run_id = ? ORDER BY position').all(runId) as StageRow[]
    const steps = this.#db.prepare('SELECT * FROM pipeline_steps WHERE run_id = ? ORDER BY position').all(runId) as StepRow[]
    return toRun(row, stages.map(toStage), steps.map(toStep))
  }

  async findRunByKey(pipeline: string, runKey: string): Promise<PipelineRun | undefined> {
    const row = this.#db.prepare('SELECT run_id FROM pipeline_runs WHERE pipeline = ? AND run_key = ?').get(pipeline, runKey) as { run_id: string } | undefined
    return row && this.getRun(row.run_id)
  }

  async listRuns(query: { pipeline?: string | undefined; limit: number }): Promise<PipelineRun[]> {
    const rows =
      query.pipeline === undefined
        ? this.#db.prepare('SELECT * FROM pipeline_runs ORDER BY start_time DESC, rowid DESC LIMIT ?').all(query.limit)
        : this.#db.prepare('SELECT * FROM pipeline_runs WHERE pipeline = ? ORDER BY start_time DESC, rowid DESC LIMIT ?').all(query.pipeline, query.limit)
    return (rows as RunRow[]).map((r) => toRun(r))
  }

  async setStage(runId: string, stage: string, status: StageStatus, time: number): Promise<void> {
    const column = status === 'running' ? 'start_time' : 'end_time'
    const result = this.#db.prepare(`UPDATE pipeline_stages SET status = ?, ${column} = ? WHERE run_id = ? AND stage = ?`).run(status, time, runId, stage)
    if (result.changes === 0) throw notFound(`pipeline run '${runId}' has no stage '${stage}'`)
  }

  async startStep(runId: string, step: string, time: number): Promise<void> {
    const result = this.#db
      .prepare(
        "UPDATE pipeline_steps SET status = 'running', attempts = attempts + 1, start_time = ?, end_time = NULL, error = NULL WHERE run_id = ? AND step = ? AND status NOT IN ('succeeded', 'skipped')",
      )
      .run(time, runId, step)
    if (result.changes === 0) throw new MlflowError('INVALID_STATE', `step '${step}' of run ${runId} does not exist or has finished`)
  }

  async setStepStatus(runId: string, step: string, status: StepStatus): Promise<void> {
    this.#db.prepare('UPDATE pipeline_steps SET status = ? WHERE run_id = ? AND step = ?').run(status, runId, step)
  }

  async finishStep(
    runId: string,
    step: string,
    r: { status: StepStatus; outputs: Readonly<Record<string, string>>; error?: string | undefined },
    time: number,
  ): Promise<void> {
    const result = this.#db
      .prepare(
        "UPDATE pipeline_steps SET status = ?, outputs = ?, error = ?, end_time = ? WHERE run_id = ? AND step = ? AND status NOT IN ('succeeded', 'skipped')",
      )
      .run(r.status, JSON.stringify(r.outputs), r.error ?? null, time, runId, step)
    if (result.changes === 0) throw new MlflowError('INVALID_STATE', `step '${step}' of run ${runId} does not exist or has already finished`)
  }

  async appendLogs(runId: string, lines: readonly Omit<LogLine, 'logId'>[]): Promise<void> {
    const insert = this.#db.prepare('INSERT INTO pipeline_logs (run_id, stage, step, time, line) VALUES (?, ?, ?, ?, ?)')
    this.#db.transaction(() => {
      for (const l of lines) insert.run(runId, l.stage, l.step, l.time, l.line)
    })()
  }

  async listLogs(runId: string, query: { afterId?: number | undefined; limit: number }): Promise<LogLine[]> {
    this.#runRow(runId)
    const rows = this.#db
      .prepare('SELECT log_id, stage, step, time, line FROM pipeline_logs WHERE run_id = ? AND log_id > ? ORDER BY log_id LIMIT ?')
      .all(runId, query.afterId ?? 0, query.limit) as { log_id: number; stage: string; step: string; time: number; line: string }[]
    return rows.map((r) => ({ logId: r.log_id, stage: r.stage, step: r.step, time: r.time, line: r.line }))
  }

  async decide(runId: string, a: ApprovalRecord): Promise<void> {
    this.#db.transaction(() => {
      const run = this.#runRow(runId)
      if (run.status === 'succeeded' || run.status === 'failed') throw conflict(`pipeline run ${runId} has finished (${run.status})`)
      const step = this.#db.prepare('SELECT status, kind FROM pipeline_steps WHERE run_id = ? AND step = ?').get(runId, a.step) as
        | { status: string; kind: string }
        | undefined
      if (step?.kind !== 'gate') throw notFound(`pipeline run ${runId} has no gate step '${a.step}'`)
      const existing = this.#db.prepare('SELECT decision FROM pipeline_approvals WHERE run_id = ? AND step = ?').get(runId, a.step) as
        | { decision: string }
        | undefined
      if (existing) throw conflict(`step '${a.step}' of run ${runId} is already ${existing.decision}`)
      this.#db
        .prepare('INSERT INTO pipeline_approvals (run_id, step, decision, actor, comment, time) VALUES (?, ?, ?, ?, ?, ?)')
        .run(runId, a.step, a.decision, a.actor, a.comment ?? null, a.time)
    })()
  }

  async getDecision(runId: string, step: string): Promise<ApprovalRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM pipeline_approvals WHERE run_id = ? AND step = ?').get(runId, step) as
      | { step: string; decision: 'approved' | 'rejected'; actor: string; comment: string | null; time: number }
      | undefined
    return row && { step: row.step, decision: row.decision, actor: row.actor, comment: row.comment ?? undefined, time: row.time }
  }

  async finishRun(runId: string, status: RunStatus, error: string | undefined, time: number): Promise<PipelineRun> {
    this.#db.transaction(() => {
      this.#runRow(runId)
      this.#db.prepare('UPDATE pipeline_runs SET status = ?, error = ?, end_time = ? WHERE run_id = ?').run(status, error ?? null, time, runId)
      this.#db.prepare('DELETE FROM pipeline_locks WHERE run_id = ?').run(runId)
    })()
    return this.getRun(runId)
  }

  async close(): Promise<void> {
    if (this.#options.ownsDb) this.#db.close()
  }
}
