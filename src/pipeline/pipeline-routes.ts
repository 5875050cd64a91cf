import { z } from 'zod'
import { type Route, routeBuilders } from '../http/route.js'
import { missingParameter } from '../errors.js'
import { int64 } from '../http/wire-schema.js'
import type { PipelineStore } from '../store/pipeline-store.js'
import type { PipelineCatalog } from './pipeline-catalog.js'
import { toWireLog, toWireRun } from './pipeline-wire.js'

/** Pipeline handlers learn who is asking: approvals are recorded with it. */
export interface PipelineContext {
  /** The authenticated identity: 'token holder' on a server with a token, else 'anonymous' (server/app.ts). */
  readonly actor: string
}

const { get, post } = routeBuilders<PipelineContext>()

const runId = z.string().regex(/^[0-9a-f]{16}$/, 'expected a pipeline run id')
const name = z.string().min(1).max(256)
const owner = { owner_pid: z.number().int().min(1), owner_host: z.string().min(1).max(256) }
const stepStatus = z.enum(['pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped'])
const toOwner = (b: { owner_pid: number; owner_host: string }) => ({ pid: b.owner_pid, host: b.owner_host })
const strings = z.record(z.string(), z.string())

/**
 * `/api/2.0/wharf/pipelines/...`: what `wharf pipeline` calls. The runner records each stage and
 * step as it goes; its text arrives already masked (secrets never leave the runner).
 */
export function pipelineRoutes(store: PipelineStore, catalog: PipelineCatalog, now: () => number = Date.now): Route<PipelineContext>[] {
  return [
    // A run names a configured pipeline; the file recorded (and resumed from) is the configured one.
    post(
      '/pipelines/runs/create',
      z.object({
        pipeline: name.optional(),
        file: z.string().min(1).max(4096).optional(),
        run_key: name.optional(),
        trigger: z.record(z.string(), z.unknown()).default({}),
        stages: z.array(name).optional(),
        variables: strings.default({}),
        ...owner,
        plan: z.array(z.object({ stage: name, steps: z.array(z.object({ step: name, kind: name })) })).min(1),
      }),
      async (b, { actor }) => {
        if (b.pipeline === undefined && b.file === undefined) throw missingParameter('pipeline')
        const pipeline = await catalog.findForRun(b.pipeline, b.file)
        const run = await store.createRun(
          {
            pipeline: pipeline.name,
            file: pipeline.file,
            runKey: b.run_key,
            trigger: b.trigger,
            stages: b.stages,
            variables: b.variables,
            actor,
            plan: b.plan,
            owner: toOwner(b),
          },
          now(),
        )
        return { run: toWireRun(run) }
      },
    ),
    post('/pipelines/runs/claim', z.object({ run_id: runId, ...owner }), async (b) => ({ run: toWireRun(await store.claimRun(b.run_id, toOwner(b), now())) })),
    post('/pipelines/runs/heartbeat', z.object({ run_id: runId, ...owner }), async (b) => {
      await store.heartbeat(b.run_id, toOwner(b), now())
      return {}
    }),
    get('/pipelines/runs/get', z.object({ run_id: runId }), async (q) => ({ run: toWireRun(await store.getRun(q.run_id)) })),
    get('/pipelines/runs/find', z.object({ pipeline: name, run_key: name }), async (q) => {
      const run = await store.findRunByKey(q.pipeline, q.run_key)
      return run ? { run: toWireRun(run) } : {}
    }),
    get('/pipelines/runs/list', z.object({ pipeline: name.optional(), max_results: int64.optional() }), async (q) => ({
      runs: (await store.listRuns({ pipeline: q.pipeline, limit: Math.min(q.max_results ?? 50, 1000) })).map(toWireRun),
    })),
    post(
      '/pipelines/runs/finish',
      z.object({ run_id: runId, status: z.enum(['succeeded', 'failed', 'interrupted']), error: z.string().optional() }),
      async (b) => ({
        run: toWireRun(await store.finishRun(b.run_id, b.status, b.error, now())),
      }),
    ),
    post(
      '/pipelines/stages/update',
      z.object({ run_id: runId, stage: name, status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']) }),
      async (b) => {
        await store.setStage(b.run_id, b.stage, b.status, now())
        return {}
      },
    ),
    post('/pipelines/steps/start', z.object({ run_id: runId, step: name }), async (b) => {
      await store.startStep(b.run_id, b.step, now())
      return {}
    }),
    post('/pipelines/steps/status', z.object({ run_id: runId, step: name, status: stepStatus }), async (b) => {
      await store.setStepStatus(b.run_id, b.step, b.status)
      return {}
    }),
    post(
      '/pipelines/steps/finish',
      z.object({ run_id: runId, step: name, status: stepStatus, outputs: strings.default({}), error: z.string().optional() }),
      async (b) => {
        await store.finishStep(b.run_id, b.step, { status: b.status, outputs: b.outputs, error: b.error }, now())
        return {}
      },
    ),
    post(
      '/pipelines/logs/append',
      z.object({ run_id: runId, lines: z.array(z.object({ stage: z.string(), step: z.string(), time: int64, line: z.string().max(65536) })).max(10_000) }),
      async (b) => {
        await store.appendLogs(b.run_id, b.lines)
        return {}
      },
    ),
    get('/pipelines/logs', z.object({ run_id: runId, after: int64.optional(), max_results: int64.optional() }), async (q) => {
      const limit = Math.min(q.max_results ?? 1000, 10_000)
      const lines = await store.listLogs(q.run_id, { afterId: q.after, limit })
      return { lines: lines.map(toWireLog), ...(lines.length === limit ? { next_after: lines[lines.length - 1]!.logId } : {}) }
    }),
    post(
      '/pipelines/runs/decide',
      z.object({ run_id: runId, step: name, decision: z.enum(['approved', 'rejected']), comment: z.string().max(4096).optional() }),
      async (b, { actor }) => {
        await store.decide(b.run_id, { step: b.step, decision: b.decision, actor, comment: b.comment, time: now() })
        return { actor }
      },
    ),
    get('/pipelines/runs/decision', z.object({ run_id: runId, step: name }), async (q) => {
      const d = await store.getDecision(q.run_id, q.step)
      return d ? { decision: d.decision, actor: d.actor, comment: d.comment ?? null, time: d.time } : {}
    }),
  ]
}
