import { z } from 'zod'
import { invalidParameter } from '../errors.js'
import { get, post, type TrackingRoute } from './tracking-route.js'
import { int64, repeated } from '../http/wire-schema.js'
import type { RunSummary } from '../store/tracking-views.js'
import { viewType } from './experiment-routes.js'
import { listRunKeys, sampleMetricHistory, searchRunTable } from './run-views.js'
import { parseFilter, parseOrderBy } from './search/filter-parser.js'
import { runGrammar } from './search/grammars.js'
import { limits } from './validation.js'
import { toWireDouble } from './wire.js'

/** Columns one table may ask for, and runs one chart may overlay. */
const maxColumns = 200
const maxChartRuns = 1000
const maxChartPoints = 100_000

const keyList = repeated(z.string()).optional()

const runTable = z.object({
  experiment_ids: repeated(z.string()).optional(),
  filter: z.string().optional(),
  order_by: repeated(z.string()).optional(),
  run_view_type: viewType.optional(),
  max_results: int64.optional(),
  page_token: z.string().optional(),
  metrics: keyList,
  params: keyList,
  tags: keyList,
})

// A table row carries what the table shows: thousands of rows, so no artifact URI or duplicate id.
const toWireSummary = (s: RunSummary) => ({
  run_id: s.info.runId,
  run_name: s.info.runName,
  status: s.info.status,
  user_id: s.info.userId,
  start_time: s.info.startTime,
  end_time: s.info.endTime ?? undefined,
  metrics: Object.fromEntries(Object.entries(s.metrics).map(([k, v]) => [k, toWireDouble(v)])),
  params: s.params,
  tags: s.tags,
})

function checkColumns(lists: readonly (readonly string[] | undefined)[]): void {
  const count = lists.reduce((n, list) => n + (list?.length ?? 0), 0)
  if (count > maxColumns) throw invalidParameter(`A run table may show at most ${maxColumns} metric, param and tag columns; ${count} were asked for.`)
}

/**
 * Wharf's reads for the web UI (`/api/2.0/wharf/...`), beside MLflow's API: a run table with only
 * the columns shown, the keys an experiment's runs use (to choose columns from), and metric
 * histories thinned for charts. The table takes MLflow's filter and order syntax and answers its
 * errors in MLflow's words.
 */
export const runViewRoutes: readonly TrackingRoute[] = [
  post('/runs/table', runTable, async (b, { tracking }) => {
    const maxResults = b.max_results ?? 1000
    if (maxResults < 1 || maxResults > limits.searchRunsMaxResults) {
      throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${limits.searchRunsMaxResults}.`)
    }
    checkColumns([b.metrics, b.params, b.tags])
    const page = await searchRunTable(
      tracking.store,
      {
        experimentIds: b.experiment_ids ?? [],
        clauses: parseFilter(b.filter, runGrammar),
        orderBy: parseOrderBy(b.order_by, runGrammar),
        maxResults,
        pageToken: b.page_token,
        viewType: b.run_view_type ?? 'ACTIVE_ONLY',
      },
      { metrics: b.metrics ?? [], params: b.params ?? [], tags: b.tags ?? [] },
    )
    return { runs: page.items.map(toWireSummary), next_page_token: page.nextPageToken }
  }),
  get('/runs/keys', z.object({ experiment_ids: repeated(z.string()), run_view_type: viewType.optional() }), async (q, { tracking }) => {
    const keys = await listRunKeys(tracking.store, q.experiment_ids, q.run_view_type ?? 'ACTIVE_ONLY')
    return { metric_keys: keys.metrics, param_keys: keys.params, tag_keys: keys.tags }
  }),
  get(
    '/metrics/sampled',
    z.object({
      run_ids: repeated(z.string().min(1)),
      metric_key: z.string().min(1),
      max_points: int64.optional(),
      min_step: int64.optional(),
      max_step: int64.optional(),
    }),
    async (q, { tracking }) => {
      const maxPoints = q.max_points ?? 2000
      if (maxPoints < 4 || maxPoints > maxChartPoints)
        throw invalidParameter(`Invalid value ${maxPoints} for parameter 'max_points': it must be between 4 and ${maxChartPoints}.`)
      if (q.run_ids.length > maxChartRuns) throw invalidParameter(`At most ${maxChartRuns} runs per request; ${q.run_ids.length} were asked for.`)
      const series = []
      for (const runId of q.run_ids) {
        const s = await sampleMetricHistory(tracking.store, { runId, key: q.metric_key, minStep: q.min_step, maxStep: q.max_step, maxPoints })
        series.push({
          run_id: runId,
          steps: s.steps,
          values: s.values.map(toWireDouble),
          total_points: s.totalPoints,
          sampled: s.isSampled,
          first_step: s.firstStep ?? null,
          last_step: s.lastStep ?? null,
        })
      }
      return { metric_key: q.metric_key, series }
    },
  ),
]
