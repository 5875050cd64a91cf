import type { Command } from 'commander'
import { ApiClient, type JsonObject as Json } from '../client/index.js'
import { loadConfig } from '../config.js'
import { emit, formatTable, type OutputOptions } from './output.js'

/**
 * `wharf models list|show|versions|alias|events`: the model registry from a terminal, over HTTP
 * to the server named by WHARF_TRACKING_URI / MLFLOW_TRACKING_URI (with WHARF_TRACKING_TOKEN /
 * MLFLOW_TRACKING_TOKEN), exactly as the MLflow client reaches it.
 */
export interface ModelsCommandOptions extends OutputOptions {
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
}

export function register(program: Command): void {
  const models = program
    .command('models')
    .description('Browse the model registry and move aliases on a running server (WHARF_TRACKING_URI / MLFLOW_TRACKING_URI).')
  const connection = () => {
    const config = loadConfig()
    return { trackingUri: config.trackingUri, token: config.trackingToken }
  }
  models
    .command('list')
    .description('registered models with their latest versions and aliases')
    .option('--filter <filter>', 'MLflow search filter, e.g. "name LIKE \'fraud%\'"')
    .option('--json', 'print JSON')
    .action((flags) => listModels({ ...connection(), ...flags }))
  models
    .command('show <name>')
    .description('one registered model')
    .option('--json', 'print JSON')
    .action((name, flags) => showModel(name, { ...connection(), ...flags }))
  models
    .command('versions <name>')
    .description("a model's versions, newest first")
    .option('--json', 'print JSON')
    .action((name, flags) => listVersions(name, { ...connection(), ...flags }))
  models
    .command('alias <name> <alias> <version>')
    .description('point an alias (e.g. champion) at a version; moves it if it exists')
    .option('--json', 'print JSON')
    .action((name, alias, version, flags) => setAlias(name, alias, version, { ...connection(), ...flags }))
  models
    .command('events <name>')
    .description("the model's registry event log: versions, aliases, stages, tags, with time and actor")
    .option('--after <id>', 'only events after this event id')
    .option('--limit <n>', 'at most this many events (default 1000)')
    .option('--json', 'print JSON')
    .action((name, flags) => listEvents(name, { ...connection(), ...flags }))
}

const clientOf = (options: ModelsCommandOptions) => new ApiClient({ trackingUri: options.trackingUri, token: options.token, userAgent: 'wharf-cli' })

/** Follows next_page_token until the end. */
async function allPages(api: ApiClient, path: string, key: string, query: Record<string, string | number | undefined>): Promise<Json[]> {
  const items: Json[] = []
  let pageToken: string | undefined
  do {
    const page = await api.get(path, { ...query, page_token: pageToken })
    items.push(...((page[key] as Json[] | undefined) ?? []))
    pageToken = page.next_page_token as string | undefined
  } while (pageToken)
  return items
}

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'))

const aliasesOf = (m: Json) => ((m.aliases as Json[] | undefined) ?? []).map((a) => `${a.alias}=v${a.version}`).join(',') || '-'
const latestOf = (m: Json) => ((m.latest_versions as Json[] | undefined) ?? []).map((v) => `${v.current_stage}:v${v.version}`).join(',') || '-'

export async function listModels(options: ModelsCommandOptions & { filter?: string | undefined }): Promise<void> {
  const models = await allPages(clientOf(options), 'mlflow/registered-models/search', 'registered_models', { filter: options.filter, max_results: 1000 })
  emit(options, models, () =>
    formatTable(
      ['NAME', 'LATEST', 'ALIASES', 'UPDATED'],
      models.map((m) => [m.name, latestOf(m), aliasesOf(m), iso(m.last_updated_timestamp)]),
    ),
  )
}

export async function showModel(name: string, options: ModelsCommandOptions): Promise<void> {
  const { registered_model: m } = await clientOf(options).get('mlflow/registered-models/get', { name })
  emit(options, m, () => [
    `name:        ${m.name}`,
    `description: ${m.description ?? '-'}`,
    `created:     ${iso(m.creation_timestamp)}`,
    `updated:     ${iso(m.last_updated_timestamp)}`,
    `aliases:     ${aliasesOf(m)}`,
    `latest:      ${latestOf(m)}`,
    `tags:        ${((m.tags as Json[] | undefined) ?? []).map((t) => `${t.key}=${t.value}`).join(', ') || '-'}`,
  ])
}

export async function listVersions(name: string, options: ModelsCommandOptions): Promise<void> {
  const filter = `name = '${name.replaceAll("'", "\\'")}'`
  const versions = await allPages(clientOf(options), 'mlflow/model-versions/search', 'model_versions', { filter, max_results: 1000 })
  emit(options, versions, () =>
    formatTable(
      ['VERSION', 'STAGE', 'ALIASES', 'RUN', 'CREATED', 'SOURCE'],
      versions.map((v) => [
        v.version,
        v.current_stage,
        ((v.aliases as string[] | undefined) ?? []).join(',') || '-',
        v.run_id ?? '-',
        iso(v.creation_timestamp),
        v.source,
      ]),
    ),
  )
}

export async function setAlias(name: string, alias: string, version: string, options: ModelsCommandOptions): Promise<void> {
  const api = clientOf(options)
  await api.post('mlflow/registered-models/alias', { name, alias, version })
  const { model_version: v } = await api.get('mlflow/registered-models/alias', { name, alias })
  emit(options, v, () => [`${name}@${alias} -> version ${v.version} (${v.current_stage})`])
}

export async function listEvents(name: string, options: ModelsCommandOptions & { after?: string | undefined; limit?: string | undefined }): Promise<void> {
  const { events } = await clientOf(options).get('wharf/registry/events', { model: name, after: options.after, max_results: options.limit })
  const list = (events as Json[] | undefined) ?? []
  emit(options, list, () =>
    formatTable(
      ['ID', 'TIME', 'ACTOR', 'EVENT', 'VERSION', 'ALIAS', 'DETAILS'],
      list.map((e) => [
        String(e.event_id),
        iso(e.time),
        e.actor,
        e.event,
        e.version ?? '-',
        e.alias ?? '-',
        Object.keys(e.data ?? {}).length ? JSON.stringify(e.data) : '',
      ]),
    ),
  )
}
