import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { invalidParameter } from '../errors.js'
import { del, get, patch, post, type TrackingRoute } from './tracking-route.js'
import { int64, keyValues, protoEnum, repeated } from '../http/wire-schema.js'
import type { OrderTerm } from './search/filter-ast.js'
import { parseFilter, parseOrderBy } from './search/filter-parser.js'
import { loggedModelGrammar } from './search/grammars.js'
import { validateKey, validateTag } from './validation.js'
import { toWireLoggedModel } from './wire.js'

const status = protoEnum(['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const, {
  1: 'LOGGED_MODEL_PENDING',
  2: 'LOGGED_MODEL_READY',
  3: 'LOGGED_MODEL_UPLOAD_FAILED',
})
const modelId = z.string().regex(/^m-[0-9a-f]{32}$/, 'expected a logged model id (m-<32 hex digits>)')

// Logged models order by {field_name, ascending} objects, not strings; field names use the run grammar.
const orderItem = z.object({ field_name: z.string(), ascending: z.boolean().optional() })
function toOrderTerms(items: readonly z.infer<typeof orderItem>[] | undefined): OrderTerm[] {
  return (items ?? []).flatMap((o) => parseOrderBy([`${o.field_name} ${o.ascending === false ? 'DESC' : 'ASC'}`], loggedModelGrammar))
}

/** MLflow 3 logged models (docs/protocols.md §1.8), called by every 3.x `log_model`. */
export const loggedModelRoutes: readonly TrackingRoute[] = [
  post(
    '/logged-models',
    z.object({
      experiment_id: z.string(),
      name: z.string().optional(),
      model_type: z.string().optional(),
      source_run_id: z.string().optional(),
      params: keyValues,
      tags: keyValues,
    }),
    async (b, { tracking }) => {
      for (const p of b.params) validateKey('param', p.key)
      for (const t of b.tags) validateTag(t)
      const id = `m-${randomUUID().replaceAll('-', '')}`
      const model = await tracking.store.createLoggedModel({
        modelId: id,
        experimentId: b.experiment_id,
        name: b.name || `model-${id.slice(2, 10)}`,
        modelType: b.model_type,
        sourceRunId: b.source_run_id,
        params: b.params,
        tags: b.tags,
        time: tracking.now(),
      })
      return { model: toWireLoggedModel(model) }
    },
  ),
  post(
    '/logged-models/search',
    z.object({
      experiment_ids: repeated(z.string()),
      filter: z.string().optional(),
      max_results: int64.optional(),
      order_by: z.array(orderItem).optional(),
      page_token: z.string().optional(),
    }),
    async (b, { tracking }) => {
      const maxResults = b.max_results ?? 100
      if (maxResults < 1 || maxResults > 1000) throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results'; it must be between 1 and 1000.`)
      const page = await tracking.store.searchLoggedModels({
        experimentIds: b.experiment_ids,
        clauses: parseFilter(b.filter, loggedModelGrammar),
        orderBy: toOrderTerms(b.order_by),
        maxResults,
        pageToken: b.page_token,
        viewType: 'ACTIVE_ONLY',
      })
      return { models: page.items.map(toWireLoggedModel), next_page_token: page.nextPageToken }
    },
  ),
  get('/logged-models/:model_id', z.object({ model_id: modelId }), async (q, { tracking }) => ({
    model: toWireLoggedModel(await tracking.store.getLoggedModel(q.model_id)),
  })),
  patch('/logged-models/:model_id', z.object({ model_id: modelId, status }), async (b, { tracking }) => ({
    model: toWireLoggedModel(await tracking.store.finalizeLoggedModel(b.model_id, b.status, tracking.now())),
  })),
  del('/logged-models/:model_id', z.object({ model_id: modelId }), async (b, { tracking }) => {
    await tracking.store.deleteLoggedModel(b.model_id)
    return {}
  }),
  patch('/logged-models/:model_id/tags', z.object({ model_id: modelId, tags: keyValues }), async (b, { tracking }) => {
    for (const t of b.tags) validateTag(t)
    await tracking.store.setLoggedModelTags(b.model_id, b.tags, tracking.now())
    return { model: toWireLoggedModel(await tracking.store.getLoggedModel(b.model_id)) }
  }),
  del('/logged-models/:model_id/tags/:tag_key', z.object({ model_id: modelId, tag_key: z.string() }), async (b, { tracking }) => {
    await tracking.store.deleteLoggedModelTag(b.model_id, b.tag_key)
    return {}
  }),
  post('/logged-models/:model_id/params', z.object({ model_id: modelId, params: keyValues }), async (b, { tracking }) => {
    for (const p of b.params) validateKey('param', p.key)
    await tracking.store.logLoggedModelParams(b.model_id, b.params)
    return {}
  }),
]
