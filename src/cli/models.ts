import { ApiClient, type JsonObject as Json } from '../client/index.js'

/**
 * `wharf models list|show|versions|alias|events`: the model registry from a terminal, over HTTP
 * to the server named by WHARF_TRACKING_URI / MLFLOW_TRACKING_URI (with WHARF_TRACKING_TOKEN /
 * MLFLOW_TRACKING_TOKEN), exactly as the MLflow client reaches it.
 */
export interface ModelsCommandOptions {
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
  /** Print JSON instead of tables. */
  readonly json?: boolean | undefined
  readonly out?: (line: string) => void
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

/** Left-aligned columns, two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}

const aliasesOf = (m: Json) => ((m.aliases as Json[] | undefined) ?? []).map((a) => `${a.alias}=v${a.version}`).join(',') || '-'
const latestOf = (m: Json) => ((m.latest_versions as Json[] | undefined) ?? []).map((v) => `${v.current_stage}:v${v.version}`).join(',') || '-'

function emit(options: ModelsCommandOptions, value: unknown, lines: () => string[]): void {
  const out = options.out ?? ((line: string) => process.stdout.write(line + '\n'))
  if (options.json) out(JSON.stringify(value, null, 2))
  else lines().forEach(out)
}

export async function listModels(options: ModelsCommandOptions & { filter?: string | undefined }): Promise<void> {
  const models = await allPages(clientOf(options), 'mlflow/registered-models/search', 'registered_models', { filter: options.filter, max_results: 1000 })
  emit(options, models, () => formatTable(['NAME', 'LATEST', 'ALIASES', 'UPDATED'], models.map((m) => [m.name, latestOf(m), aliasesOf(m), iso(m.last_updated_timestamp)])))
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
      versions.map((v) => [v.version, v.current_stage, ((v.aliases as string[] | undefined) ?? []).join(',') || '-', v.run_id ?? '-', iso(v.creation_timestamp), v.source]),
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
      list.map((e) => [String(e.event_id), iso(e.time), e.actor, e.event, e.version ?? '-', e.alias ?? '-', Object.keys(e.data ?? {}).length ? JSON.stringify(e.data) : '']),
    ),
  )
}
