import { randomUUID } from 'node:crypto'
import { MlflowError, conflict, notFound } from '../../errors.js'
import type { ApprovalRecord, LogLine, NewRun, PipelineRun, RunOwner, RunStatus, StageStatus, StepStatus } from '../../pipeline/entities.js'
import type { PipelineStore } from '../pipeline-store.js'
import { type RunRow, type StageRow, type StepRow, type LockRow, toStage, toStep, toRun } from '../pipeline-rows.js'
import { type PgDatabase, type PgExecutor, isUniqueViolation } from './database.js'

export interface PostgresPipelineStoreOptions {
  readonly ownsDb?: boolean
  /** Whether a lock holder still runs; by default its heartbeat is fresh and, on this host, its pid is alive. */
  readonly isOwnerAlive: (owner: RunOwner, heartbeatTime: number, now: number) => boolean
}

const busy = (lock: LockRow) =>
  conflict(`pipeline '${lock.pipeline}' is already running (run ${lock.run_id}, pid ${lock.owner_pid} on ${lock.owner_host}); wait for it, or resume that run`)

/**
 * Pipeline runs on PostgreSQL. Lock checks and writes share one transaction, and a transaction that
 * takes a pipeline's lock first takes an advisory lock on the pipeline's name, so two replicas
 * starting the same pipeline at once are serialised: one gets it, the other RESOURCE_CONFLICT.
 */
export class PostgresPipelineStore implements PipelineStore {
  readonly #db: PgDatabase
  readonly #options: PostgresPipelineStoreOptions

  constructor(db: PgDatabase, options: PostgresPipelineStoreOptions) {
    this.#db = db
    this.#options = options
  }

  async #takeLock(q: PgExecutor, pipeline: string, runId: string, owner: RunOwner, time: number): Promise<void> {
    await q.run("SELECT pg_advisory_xact_lock(hashtext('wharf-pipeline:' || ?))", [pipeline])
    const lock = await q.get<LockRow>('SELECT * FROM pipeline_locks WHERE pipeline = ?', [pipeline])
    const isSameOwner = lock && lock.run_id === runId && lock.owner_pid === owner.pid && lock.owner_host === owner.host
    if (lock && !isSameOwner && this.#options.isOwnerAlive({ pid: lock.owner_pid, host: lock.owner_host }, lock.heartbeat_time, time)) throw busy(lock)
    if (lock && lock.run_id !== runId) {
      // The previous holder died without finishing: its run is interrupted, to be resumed.
      await q.run("UPDATE pipeline_runs SET status = 'interrupted' WHERE run_id = ? AND status = 'running'", [lock.run_id])
    }
    await q.run(
      `INSERT INTO pipeline_locks (pipeline, run_id, owner_pid, owner_host, heartbeat_time) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pipeline) DO UPDATE SET run_id = excluded.run_id, owner_pid = excluded.owner_pid, owner_host = excluded.owner_host,
         heartbeat_time = excluded.heartbeat_time`,
      [pipeline, runId, owner.pid, owner.host, time],
    )
  }

  async createRun(run: NewRun, time: number): Promise<PipelineRun> {
    const runId = randomUUID().replace(/-/g, '').slice(0, 16)
    await this.#db.tx(async (q) => {
      await this.#takeLock(q, run.pipeline, runId, run.owner, time)
      await q.run(
        'INSERT INTO pipeline_runs (run_id, pipeline, file, run_key, status, trigger, stages, variables, actor, start_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
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
        ],
      )
      let position = 0
      for (const [i, s] of run.plan.entries()) {
        await q.run("INSERT INTO pipeline_stages (run_id, stage, position, status) VALUES (?, ?, ?, 'pending')", [runId, s.stage, i])
        for (const st of s.steps) {
          await q.run("INSERT INTO pipeline_steps (run_id, step, stage, position, kind, status) VALUES (?, ?, ?, ?, ?, 'pending')", [
            runId,
            st.step,
            s.stage,
            position++,
            st.kind,
          ])
        }
      }
    })
    return this.getRun(runId)
  }

  async claimRun(runId: string, owner: RunOwner, time: number): Promise<PipelineRun> {
    await this.#db.tx(async (q) => {
      const row = await this.#runRow(runId, q)
      await this.#takeLock(q, row.pipeline, runId, owner, time)
      await q.run("UPDATE pipeline_runs SET status = 'running', end_time = NULL, error = NULL WHERE run_id = ?", [runId])
    })
    return this.getRun(runId)
  }

  async lockHolder(pipeline: string, time: number): Promise<string | undefined> {
    const lock = await this.#db.get<LockRow>('SELECT * FROM pipeline_locks WHERE pipeline = ?', [pipeline])
    return lock && this.#options.isOwnerAlive({ pid: lock.owner_pid, host: lock.owner_host }, lock.heartbeat_time, time) ? lock.run_id : undefined
  }

  async heartbeat(runId: string, owner: RunOwner, time: number): Promise<void> {
    const changes = await this.#db.run('UPDATE pipeline_locks SET heartbeat_time = ? WHERE run_id = ? AND owner_pid = ? AND owner_host = ?', [
      time,
      runId,
      owner.pid,
      owner.host,
    ])
    if (changes === 0) throw conflict(`run ${runId} no longer holds its pipeline's lock`)
  }

  async #runRow(runId: string, q: PgExecutor = this.#db): Promise<RunRow> {
    const row = await q.get<RunRow>('SELECT * FROM pipeline_runs WHERE run_id = ?', [runId])
    if (!row) throw notFound(`pipeline run '${runId}' does not exist`)
    return row
  }

  async getRun(runId: string): Promise<PipelineRun> {
    const row = await this.#runRow(runId)
    const stages = await this.#db.all<StageRow>('SELECT * FROM pipeline_stages WHERE run_id = ? ORDER BY position', [runId])
    const steps = await this.#db.all<StepRow>('SELECT * FROM pipeline_steps WHERE run_id = ? ORDER BY position', [runId])
    return toRun(row, stages.map(toStage), steps.map(toStep))
  }

  async findRunByKey(pipeline: string, runKey: string): Promise<PipelineRun | undefined> {
    const row = await this.#db.get<{ run_id: string }>('SELECT run_id FROM pipeline_runs WHERE pipeline = ? AND run_key = ?', [pipeline, runKey])
    return row && this.getRun(row.run_id)
  }

  async listRuns(query: { pipeline?: string | undefined; limit: number }): Promise<PipelineRun[]> {
    const rows =
      query.pipeline === undefined
        ? await this.#db.all<RunRow>('SELECT * FROM pipeline_runs ORDER BY start_time DESC, seq DESC LIMIT ?', [query.limit])
        : await this.#db.all<RunRow>('SELECT * FROM pipeline_runs WHERE pipeline = ? ORDER BY start_time DESC, seq DESC LIMIT ?', [query.pipeline, query.limit])
    return rows.map((r) => toRun(r))
  }

  async setStage(runId: string, stage: string, status: StageStatus, time: number): Promise<void> {
    const column = status === 'running' ? 'start_time' : 'end_time'
    const changes = await this.#db.run(`UPDATE pipeline_stages SET status = ?, ${column} = ? WHERE run_id = ? AND stage = ?`, [status, time, runId, stage])
    if (changes === 0) throw notFound(`pipeline run '${runId}' has no stage '${stage}'`)
  }

  async startStep(runId: string, step: string, time: number): Promise<void> {
    const changes = await this.#db.run(
      `UPDATE pipeline_steps SET status = 'running', attempts = attempts + 1, start_time = ?, end_time = NULL, error = NULL
       WHERE run_id = ? AND step = ? AND status NOT IN ('succeeded', 'skipped')`,
      [time, runId, step],
    )
    if (changes === 0) throw new MlflowError('INVALID_STATE', `step '${step}' of run ${runId} does not exist or has finished`)
  }

  async setStepStatus(runId: string, step: string, status: StepStatus): Promise<void> {
    await this.#db.run('UPDATE pipeline_steps SET status = ? WHERE run_id = ? AND step = ?', [status, runId, step])
  }

  async finishStep(
    runId: string,
    step: string,
    r: { status: StepStatus; outputs: Readonly<Record<string, string>>; error?: string | undefined },
    time: number,
  ): Promise<void> {
    const changes = await this.#db.run(
      "UPDATE pipeline_steps SET status = ?, outputs = ?, error = ?, end_time = ? WHERE run_id = ? AND step = ? AND status NOT IN ('succeeded', 'skipped')",
      [r.status, JSON.stringify(r.outputs), r.error ?? null, time, runId, step],
    )
    if (changes === 0) throw new MlflowError('INVALID_STATE', `step '${step}' of run ${runId} does not exist or has already finished`)
  }

  async appendLogs(runId: string, lines: readonly Omit<LogLine, 'logId'>[]): Promise<void> {
    if (lines.length === 0) return
    await this.#db.run(
      `INSERT INTO pipeline_logs (run_id, stage, step, time, line)
       SELECT ?::text, stage, step, time, line FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[]) WITH ORDINALITY AS l(stage, step, time, line, ord)
       ORDER BY ord`,
      [runId, lines.map((l) => l.stage), lines.map((l) => l.step), lines.map((l) => l.time), lines.map((l) => l.line)],
    )
  }

  async listLogs(runId: string, query: { afterId?: number | undefined; limit: number }): Promise<LogLine[]> {
    await this.#runRow(runId)
    const rows = await this.#db.all<{ log_id: number; stage: string; step: string; time: number; line: string }>(
      'SELECT log_id, stage, step, time, line FROM pipeline_logs WHERE run_id = ? AND log_id > ? ORDER BY log_id LIMIT ?',
      [runId, query.afterId ?? 0, query.limit],
    )
    return rows.map((r) => ({ logId: r.log_id, stage: r.stage, step: r.step, time: r.time, line: r.line }))
  }

  async decide(runId: string, a: ApprovalRecord): Promise<void> {
    try {
      await this.#db.tx(async (q) => {
        const run = await q.get<RunRow>('SELECT * FROM pipeline_runs WHERE run_id = ? FOR UPDATE', [runId])
        if (!run) throw notFound(`pipeline run '${runId}' does not exist`)
        if (run.status === 'succeeded' || run.status === 'failed') throw conflict(`pipeline run ${runId} has finished (${run.status})`)
        const step = await q.get<{ status: string; kind: string }>('SELECT status, kind FROM pipeline_steps WHERE run_id = ? AND step = ?', [runId, a.step])
        if (step?.kind !== 'gate') throw notFound(`pipeline run ${runId} has no gate step '${a.step}'`)
        const existing = await q.get<{ decision: string }>('SELECT decision FROM pipeline_approvals WHERE run_id = ? AND step = ?', [runId, a.step])
        if (existing) throw conflict(`step '${a.step}' of run ${runId} is already ${existing.decision}`)
        await q.run('INSERT INTO pipeline_approvals (run_id, step, decision, actor, comment, time) VALUES (?, ?, ?, ?, ?, ?)', [
          runId,
          a.step,
          a.decision,
          a.actor,
          a.comment ?? null,
          a.time,
        ])
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`step '${a.step}' of run ${runId} is already decided`)
      throw err
    }
  }

  async getDecision(runId: string, step: string): Promise<ApprovalRecord | undefined> {
    const row = await this.#db.get<{ step: string; decision: 'approved' | 'rejected'; actor: string; comment: string | null; time: number }>(
      'SELECT * FROM pipeline_approvals WHERE run_id = ? AND step = ?',
      [runId, step],
    )
    return row && { step: row.step, decision: row.decision, actor: row.actor, comment: row.comment ?? undefined, time: row.time }
  }

  async finishRun(runId: string, status: RunStatus, error: string | undefined, time: number): Promise<PipelineRun> {
    await this.#db.tx(async (q) => {
      await this.#runRow(runId, q)
      await q.run('UPDATE pipeline_runs SET status = ?, error = ?, end_time = ? WHERE run_id = ?', [status, error ?? null, time, runId])
      await q.run('DELETE FROM pipeline_locks WHERE run_id = ?', [runId])
    })
    return this.getRun(runId)
  }

  async close(): Promise<void> {
    if (this.#options.ownsDb) await this.#db.close()
  }
}
