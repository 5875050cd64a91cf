import { z } from 'zod'
import { bool, int64, keyValues, repeated } from '../http/wire-schema.js'
import { del, get, patch, post, type RegistryRoute } from './registry-route.js'
import { toWireModelVersion } from './wire.js'

const name = z.string()
const version = z.union([z.string(), z.number().int()]).transform(String)
const ref = { name, version }

/** Model versions: MLflow model_registry.proto CreateModelVersion ... DeleteModelVersionTag. */
export const modelVersionRoutes: readonly RegistryRoute[] = [
  post(
    '/model-versions/create',
    z.object({
      name,
      source: z.string(),
      run_id: z.string().nullish(),
      tags: keyValues,
      run_link: z.string().nullish(),
      description: z.string().nullish(),
      model_id: z.string().nullish(),
    }),
    async (b, { registry, actor }) => {
      const created = await registry.createModelVersion(
        {
          name: b.name,
          source: b.source,
          runId: b.run_id || undefined,
          modelId: b.model_id || undefined,
          runLink: b.run_link || undefined,
          description: b.description || undefined,
          tags: b.tags,
        },
        actor,
      )
      return { model_version: toWireModelVersion(created) }
    },
  ),
  get('/model-versions/get', z.object(ref), async (q, { registry }) => ({
    model_version: toWireModelVersion(await registry.getModelVersion(q.name, q.version)),
  })),
  patch('/model-versions/update', z.object({ ...ref, description: z.string().nullish() }), async (b, { registry, actor }) => ({
    model_version: toWireModelVersion(await registry.updateModelVersion(b.name, b.version, b.description ?? '', actor)),
  })),
  del('/model-versions/delete', z.object(ref), async (b, { registry, actor }) => {
    await registry.deleteModelVersion(b.name, b.version, actor)
    return {}
  }),
  get(
    '/model-versions/search',
    z.object({ filter: z.string().optional(), max_results: int64.optional(), order_by: repeated(z.string()).optional(), page_token: z.string().optional() }),
    async (q, { registry }) => {
      const page = await registry.searchModelVersions({ filter: q.filter, orderBy: q.order_by, maxResults: q.max_results, pageToken: q.page_token })
      return { model_versions: page.items.map(toWireModelVersion), next_page_token: page.nextPageToken }
    },
  ),
  post('/model-versions/transition-stage', z.object({ ...ref, stage: z.string(), archive_existing_versions: bool }), async (b, { registry, actor }) => ({
    model_version: toWireModelVersion(await registry.transitionStage(b.name, b.version, b.stage, b.archive_existing_versions, actor)),
  })),
  get('/model-versions/get-download-uri', z.object(ref), async (q, { registry }) => ({
    artifact_uri: await registry.getDownloadUri(q.name, q.version),
  })),
  post('/model-versions/set-tag', z.object({ ...ref, key: z.string(), value: z.string().nullish() }), async (b, { registry, actor }) => {
    await registry.setModelVersionTag(b.name, b.version, { key: b.key, value: b.value ?? '' }, actor)
    return {}
  }),
  del('/model-versions/delete-tag', z.object({ ...ref, key: z.string() }), async (b, { registry, actor }) => {
    await registry.deleteModelVersionTag(b.name, b.version, b.key, actor)
    return {}
  }),
]
