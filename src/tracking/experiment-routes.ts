import { z } from 'zod'
import { invalidParameter } from '../errors.js'
import { getOrPost, get, post, type TrackingRoute } from './tracking-route.js'
import { int64, keyValues, protoEnum, repeated } from '../http/wire-schema.js'
import { parseFilter, parseOrderBy } from './search/filter-parser.js'
import { experimentGrammar } from './search/grammars.js'
import { limits } from './validation.js'
import { toWireExperiment } from './wire.js'

export const viewType = protoEnum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const, { 1: 'ACTIVE_ONLY', 2: 'DELETED_ONLY', 3: 'ALL' })
const experimentId = z.string().min(1)

const searchExperiments = z.object({
  max_results: int64.optional(),
  page_token: z.string().optional(),
  filter: z.string().optional(),
  order_by: repeated(z.string()).optional(),
  view_type: viewType.optional(),
})

/** Experiments: MLflow service.proto CreateExperiment ... DeleteExperimentTag. */
export const experimentRoutes: readonly TrackingRoute[] = [
  post('/experiments/create', z.object({ name: z.string(), artifact_location: z.string().optional(), tags: keyValues }), async (b, { tracking }) => ({
    experiment_id: (await tracking.createExperiment(b.name, b.artifact_location, b.tags)).experimentId,
  })),
  get('/experiments/get', z.object({ experiment_id: experimentId }), async (q, { tracking }) => ({
    experiment: toWireExperiment(await tracking.store.getExperiment(q.experiment_id)),
  })),
  get('/experiments/get-by-name', z.object({ experiment_name: z.string() }), async (q, { tracking }) => ({
    experiment: toWireExperiment(await tracking.store.getExperimentByName(q.experiment_name)),
  })),
  getOrPost('/experiments/search', searchExperiments, async (b, { tracking }) => {
    const maxResults = b.max_results ?? 1000
    if (maxResults < 1 || maxResults > limits.searchExperimentsMaxResults) {
      throw invalidParameter(
        `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be between 1 and ${limits.searchExperimentsMaxResults}.`,
      )
    }
    const page = await tracking.store.searchExperiments({
      clauses: parseFilter(b.filter, experimentGrammar),
      orderBy: parseOrderBy(b.order_by, experimentGrammar),
      maxResults,
      pageToken: b.page_token,
      viewType: b.view_type ?? 'ACTIVE_ONLY',
    })
    return { experiments: page.items.map(toWireExperiment), next_page_token: page.nextPageToken }
  }),
  post('/experiments/update', z.object({ experiment_id: experimentId, new_name: z.string() }), async (b, { tracking }) => {
    await tracking.renameExperiment(b.experiment_id, b.new_name)
    return {}
  }),
  post('/experiments/delete', z.object({ experiment_id: experimentId }), async (b, { tracking }) => {
    await tracking.store.setExperimentLifecycle(b.experiment_id, 'deleted', tracking.now())
    return {}
  }),
  post('/experiments/restore', z.object({ experiment_id: experimentId }), async (b, { tracking }) => {
    await tracking.store.setExperimentLifecycle(b.experiment_id, 'active', tracking.now())
    return {}
  }),
  post('/experiments/set-experiment-tag', z.object({ experiment_id: experimentId, key: z.string(), value: z.string().nullish() }), async (b, { tracking }) => {
    await tracking.setExperimentTag(b.experiment_id, { key: b.key, value: b.value ?? '' })
    return {}
  }),
  post('/experiments/delete-experiment-tag', z.object({ experiment_id: experimentId, key: z.string() }), async (b, { tracking }) => {
    await tracking.store.deleteExperimentTag(b.experiment_id, b.key)
    return {}
  }),
]
