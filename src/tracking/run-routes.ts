import { z } from 'zod'
import { invalidParameter, missingParameter } from '../errors.js'
import { JsonText } from '../http/route.js'
import { get, post, type TrackingRoute } from './tracking-route.js'
import { double, int64, keyValues, protoEnum, repeated } from '../http/wire-schema.js'
import type { Metric } from './entities.js'
import { viewType } from './experiment-routes.js'
import { parseFilter, parseOrderBy } from './search/filter-parser.js'
import { runGrammar } from './search/grammars.js'
import { limits } from './validation.js'
import { toWireRun, toWireRunInfo } from './wire.js'

const runStatus = protoEnum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const, {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
})

// Clients send run_id, run_uuid (deprecated) or both; run_id wins (docs/protocols.md §1.9).
const runRef = { run_id: z.string().optional(), run_uuid: z.string().optional() }
const runIdOf = (b: { run_id?: string | undefined; run_uuid?: string | undefined }): string => {
  const id = b.run_id || b.run_uuid
  if (!id) throw missingParameter('run_id')
  return id
}

const metricFields = {
  key: z.string(),
  value: double,
  timestamp: int64,
  step: int64.optional(),
  model_id: z.string().optional(),
  dataset_name: z.string().optional(),
  dataset_digest: z.string().optional(),
}
const toMetric = (m: {
  key: string
  value: number
  timestamp: number
  step?: number | undefined
  model_id?: string | undefined
  dataset_name?: string | undefined
  dataset_digest?: string | undefined
}): Metric => ({
  key: m.key,
  value: m.value,
  timestamp: m.timestamp,
  step: m.step ?? 0,
  modelId: m.model_id,
  datasetName: m.dataset_name,
  datasetDigest: m.dataset_digest,
})

const datasetInput = z.object({
  tags: keyValues,
  dataset: z.object({
    name: z.string(),
    digest: z.string(),
    source_type: z.string(),
    source: z.string(),
    schema: z.string().optional(),
    profile: z.string().optional(),
  }),
})

const searchRuns = z.object({
  experiment_ids: repeated(z.string()).optional(),
  filter: z.string().optional(),
  run_view_type: viewType.optional(),
  max_results: int64.optional(),
  order_by: repeated(z.string()).optional(),
  page_token: z.string().optional(),
})

/** Runs: MLflow service.proto CreateRun ... SearchRuns, GetMetricHistory. */
export const runRoutes: readonly TrackingRoute[] = [
  post(
    '/runs/create',
    z.object({
      experiment_id: z.string().optional(),
      user_id: z.string().optional(),
      run_name: z.string().optional(),
      start_time: int64.optional(),
      tags: keyValues,
    }),
    async (b, { tracking }) => ({
      run: toWireRun(
        await tracking.createRun({ experimentId: b.experiment_id ?? '0', userId: b.user_id, runName: b.run_name, startTime: b.start_time, tags: b.tags }),
      ),
    }),
  ),
  get('/runs/get', z.object(runRef), async (q, { tracking }) => ({ run: toWireRun(await tracking.getRun(runIdOf(q))) })),
  post(
    '/runs/update',
    z.object({ ...runRef, status: runStatus.optional(), end_time: int64.optional(), run_name: z.string().optional() }),
    async (b, { tracking }) => ({
      run_info: toWireRunInfo(await tracking.updateRun(runIdOf(b), { status: b.status, endTime: b.end_time, runName: b.run_name || undefined })),
    }),
  ),
  post('/runs/delete', z.object({ run_id: z.string() }), async (b, { tracking }) => {
    await tracking.getRun(b.run_id)
    await tracking.store.setRunLifecycle(b.run_id, 'deleted', tracking.now())
    return {}
  }),
  post('/runs/restore', z.object({ run_id: z.string() }), async (b, { tracking }) => {
    await tracking.getRun(b.run_id)
    await tracking.store.setRunLifecycle(b.run_id, 'active', tracking.now())
    return {}
  }),
  post('/runs/log-metric', z.object({ ...runRef, ...metricFields }), async (b, { tracking }) => {
    await tracking.logMetric(runIdOf(b), toMetric(b))
    return {}
  }),
  post('/runs/log-parameter', z.object({ ...runRef, key: z.string(), value: z.string().nullish() }), async (b, { tracking }) => {
    await tracking.logParam(runIdOf(b), { key: b.key, value: b.value ?? '' })
    return {}
  }),
  post('/runs/set-tag', z.object({ ...runRef, key: z.string(), value: z.string().nullish() }), async (b, { tracking }) => {
    await tracking.setTag(runIdOf(b), { key: b.key, value: b.value ?? '' })
    return {}
  }),
  post('/runs/delete-tag', z.object({ run_id: z.string(), key: z.string() }), async (b, { tracking }) => {
    await tracking.deleteTag(b.run_id, b.key)
    return {}
  }),
  post(
    '/runs/log-batch',
    z.object({ run_id: z.string(), metrics: z.array(z.object(metricFields)).nullish(), params: keyValues, tags: keyValues }),
    async (b, { tracking }) => {
      await tracking.logBatch(b.run_id, { metrics: (b.metrics ?? []).map(toMetric), params: b.params, tags: b.tags })
      return {}
    },
  ),
  post(
    '/runs/log-inputs',
    z.object({ run_id: z.string(), datasets: z.array(datasetInput).nullish(), models: z.array(z.object({ model_id: z.string() })).nullish() }),
    async (b, { tracking }) => {
      const datasets = (b.datasets ?? []).map((d) => ({
        tags: d.tags,
        dataset: {
          name: d.dataset.name,
          digest: d.dataset.digest,
          sourceType: d.dataset.source_type,
          source: d.dataset.source,
          schema: d.dataset.schema,
          profile: d.dataset.profile,
        },
      }))
      await tracking.logInputs(
        b.run_id,
        datasets,
        (b.models ?? []).map((m) => m.model_id),
      )
      return {}
    },
  ),
  post(
    '/runs/outputs',
    z.object({ run_id: z.string(), models: z.array(z.object({ model_id: z.string(), step: int64.optional() })).nullish() }),
    async (b, { tracking }) => {
      await tracking.getRun(b.run_id)
      await tracking.store.logOutputs(
        b.run_id,
        (b.models ?? []).map((m) => ({ modelId: m.model_id, step: m.step ?? 0 })),
      )
      return {}
    },
  ),
  post('/runs/log-model', z.object({ run_id: z.string(), model_json: z.string() }), async (b, { tracking }) => {
    await tracking.logModel(b.run_id, b.model_json)
    return {}
  }),
  post('/runs/search', searchRuns, async (b, { tracking }) => {
    const maxResults = b.max_results ?? 1000
    if (maxResults < 1 || maxResults > limits.searchRunsMaxResults) {
      throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${limits.searchRunsMaxResults}.`)
    }
    const page = await tracking.store.searchRuns({
      experimentIds: b.experiment_ids ?? [],
      clauses: parseFilter(b.filter, runGrammar),
      orderBy: parseOrderBy(b.order_by, runGrammar),
      maxResults,
      pageToken: b.page_token,
      viewType: b.run_view_type ?? 'ACTIVE_ONLY',
    })
    return { runs: page.items.map(toWireRun), next_page_token: page.nextPageToken }
  }),
  get(
    '/metrics/get-history',
    z.object({ ...runRef, metric_key: z.string(), max_results: int64.optional(), page_token: z.string().optional() }),
    async (q, { tracking }) => {
      const runId = runIdOf(q)
      await tracking.getRun(runId)
      // The page comes as JSON text from the database (metric-history-json.ts): 100,000 points in one
      // string instead of 100,000 objects.
      const page = await tracking.store.getMetricHistoryJson(runId, q.metric_key, q.max_results, q.page_token)
      const token = page.nextPageToken === undefined ? '' : `,"next_page_token":${JSON.stringify(page.nextPageToken)}`
      return new JsonText(`{"metrics":${page.json}${token}}`)
    },
  ),
]
