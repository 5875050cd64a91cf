import { z } from 'zod'
import { int64, keyValues, repeated } from '../http/wire-schema.js'
import { del, get, getOrPost, patch, post, type RegistryRoute } from './registry-route.js'
import { toWireModelVersion, toWireRegisteredModel } from './wire.js'

const name = z.string()
const versionText = z.union([z.string(), z.number().int()]).transform(String)

/** Registered models and aliases: MLflow model_registry.proto CreateRegisteredModel ... GetModelVersionByAlias. */
export const registeredModelRoutes: readonly RegistryRoute[] = [
  post('/registered-models/create', z.object({ name, tags: keyValues, description: z.string().nullish() }), async (b, { registry, actor }) => ({
    registered_model: toWireRegisteredModel(
      await registry.createRegisteredModel({ name: b.name, description: b.description ?? undefined, tags: b.tags }, actor),
    ),
  })),
  get('/registered-models/get', z.object({ name }), async (q, { registry }) => ({
    registered_model: toWireRegisteredModel(await registry.getRegisteredModel(q.name)),
  })),
  post('/registered-models/rename', z.object({ name, new_name: z.string() }), async (b, { registry, actor }) => ({
    registered_model: toWireRegisteredModel(await registry.renameRegisteredModel(b.name, b.new_name, actor)),
  })),
  patch('/registered-models/update', z.object({ name, description: z.string().nullish() }), async (b, { registry, actor }) => ({
    registered_model: toWireRegisteredModel(await registry.updateRegisteredModel(b.name, b.description ?? '', actor)),
  })),
  del('/registered-models/delete', z.object({ name }), async (b, { registry, actor }) => {
    await registry.deleteRegisteredModel(b.name, actor)
    return {}
  }),
  get(
    '/registered-models/search',
    z.object({ filter: z.string().optional(), max_results: int64.optional(), order_by: repeated(z.string()).optional(), page_token: z.string().optional() }),
    async (q, { registry }) => {
      const page = await registry.searchRegisteredModels({ filter: q.filter, orderBy: q.order_by, maxResults: q.max_results, pageToken: q.page_token })
      return { registered_models: page.items.map(toWireRegisteredModel), next_page_token: page.nextPageToken }
    },
  ),
  // The client POSTs, and falls back to GET on ENDPOINT_NOT_FOUND (docs/protocols.md §3.2).
  getOrPost('/registered-models/get-latest-versions', z.object({ name, stages: repeated(z.string()).optional() }), async (b, { registry }) => {
    const versions = await registry.getLatestVersions(b.name, b.stages ?? [])
    return versions.length ? { model_versions: versions.map(toWireModelVersion) } : {}
  }),
  post('/registered-models/set-tag', z.object({ name, key: z.string(), value: z.string().nullish() }), async (b, { registry, actor }) => {
    await registry.setRegisteredModelTag(b.name, { key: b.key, value: b.value ?? '' }, actor)
    return {}
  }),
  del('/registered-models/delete-tag', z.object({ name, key: z.string() }), async (b, { registry, actor }) => {
    await registry.deleteRegisteredModelTag(b.name, b.key, actor)
    return {}
  }),
  post('/registered-models/alias', z.object({ name, alias: z.string(), version: versionText }), async (b, { registry, actor }) => {
    await registry.setAlias(b.name, b.alias, b.version, actor)
    return {}
  }),
  del('/registered-models/alias', z.object({ name, alias: z.string() }), async (b, { registry, actor }) => {
    await registry.deleteAlias(b.name, b.alias, actor)
    return {}
  }),
  get('/registered-models/alias', z.object({ name, alias: z.string() }), async (q, { registry }) => ({
    model_version: toWireModelVersion(await registry.getVersionByAlias(q.name, q.alias)),
  })),
]
