import { getBlob, getJson, sendJson } from './http.js'
import type {
  DeployChange,
  Endpoint,
  Experiment,
  FileInfo,
  InstanceTraffic,
  LogLine,
  MetricSeries,
  ModelVersion,
  PipelineRun,
  RegisteredModel,
  RegistryEvent,
  Run,
  RunKeys,
  RunRow,
} from './types.js'

/**
 * Every call the UI makes, on the server's public REST API: MLflow's under /ajax-api/2.0/mlflow
 * (the prefix MLflow's own UI uses), Wharf's under /ajax-api/2.0/wharf, files through the artifact
 * proxy. Nothing here is private to the UI.
 */
const mlflow = '/ajax-api/2.0/mlflow'
const wharf = '/ajax-api/2.0/wharf'
const artifactProxy = '/ajax-api/2.0/mlflow-artifacts/artifacts'

export const experiments = {
  search: (filter: string | undefined, viewType = 'ACTIVE_ONLY') =>
    getJson<{ experiments?: Experiment[] }>(`${mlflow}/experiments/search`, {
      max_results: 1000,
      filter,
      view_type: viewType,
      order_by: ['last_update_time DESC'],
    }),
  get: (id: string) => getJson<{ experiment: Experiment }>(`${mlflow}/experiments/get`, { experiment_id: id }),
  create: (name: string) => sendJson<{ experiment_id: string }>('POST', `${mlflow}/experiments/create`, { name }),
  rename: (id: string, newName: string) => sendJson('POST', `${mlflow}/experiments/update`, { experiment_id: id, new_name: newName }),
  remove: (id: string) => sendJson('POST', `${mlflow}/experiments/delete`, { experiment_id: id }),
}

export interface RunTableQuery {
  experimentIds: readonly string[]
  filter?: string | undefined
  orderBy?: readonly string[] | undefined
  metrics: readonly string[]
  params: readonly string[]
  tags: readonly string[]
  maxResults: number
  pageToken?: string | undefined
}

export const runs = {
  get: (runId: string) => getJson<{ run: Run }>(`${mlflow}/runs/get`, { run_id: runId }),
  table: (q: RunTableQuery, signal?: AbortSignal) =>
    sendJson<{ runs?: RunRow[]; next_page_token?: string }>(
      'POST',
      `${wharf}/runs/table`,
      {
        experiment_ids: q.experimentIds,
        filter: q.filter || undefined,
        order_by: q.orderBy,
        metrics: q.metrics,
        params: q.params,
        tags: q.tags,
        max_results: q.maxResults,
        page_token: q.pageToken,
      },
      signal,
    ),
  keys: (experimentIds: readonly string[]) => getJson<RunKeys>(`${wharf}/runs/keys`, { experiment_ids: experimentIds }),
  sampled: (runIds: readonly string[], key: string, maxPoints: number, range?: { min: number; max: number }, signal?: AbortSignal) =>
    getJson<{ series: MetricSeries[] }>(
      `${wharf}/metrics/sampled`,
      { run_ids: runIds, metric_key: key, max_points: maxPoints, min_step: range && Math.floor(range.min), max_step: range && Math.ceil(range.max) },
      signal,
    ),
}

/** The artifact proxy path of a run's artifact root (`mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`). */
export function proxyRootOf(artifactUri: string | undefined): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri ?? '')
  return m ? m[1]!.replace(/\/+$/, '') : undefined
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/')

export const artifacts = {
  list: (runId: string, path: string) =>
    getJson<{ files?: FileInfo[]; root_uri?: string }>(`${mlflow}/artifacts/list`, { run_id: runId, path: path || undefined }),
  blob: (root: string, path: string, signal?: AbortSignal) => getBlob(`${artifactProxy}/${encodePath(`${root}/${path}`)}`, signal),
}

export const registry = {
  search: (filter: string | undefined) =>
    getJson<{ registered_models?: RegisteredModel[] }>(`${mlflow}/registered-models/search`, { max_results: 1000, filter, order_by: ['name ASC'] }),
  get: (name: string) => getJson<{ registered_model: RegisteredModel }>(`${mlflow}/registered-models/get`, { name }),
  versions: (name: string) =>
    getJson<{ model_versions?: ModelVersion[] }>(`${mlflow}/model-versions/search`, {
      filter: `name = '${name.replace(/'/g, "\\'")}'`,
      max_results: 1000,
      order_by: ['version_number DESC'],
    }),
  versionsOfRun: (runId: string) =>
    getJson<{ model_versions?: ModelVersion[] }>(`${mlflow}/model-versions/search`, { filter: `run_id = '${runId.replace(/'/g, '')}'`, max_results: 100 }),
  version: (name: string, version: string) => getJson<{ model_version: ModelVersion }>(`${mlflow}/model-versions/get`, { name, version }),
  setAlias: (name: string, alias: string, version: string) => sendJson('POST', `${mlflow}/registered-models/alias`, { name, alias, version }),
  deleteAlias: (name: string, alias: string) => sendJson('DELETE', `${mlflow}/registered-models/alias`, { name, alias }),
  /** The log is read oldest first in pages; the newest `limit` events come back, newest first. */
  events: async (model: string | undefined, limit = 200) => {
    let events: RegistryEvent[] = []
    let after: number | undefined
    for (;;) {
      const page = await getJson<{ events?: RegistryEvent[]; next_after?: number }>(`${wharf}/registry/events`, { model, after, max_results: 1000 })
      events = events.concat(page.events ?? []).slice(-limit)
      if (page.next_after === undefined) return events.reverse()
      after = page.next_after
    }
  },
}

export const deployments = {
  environments: () => getJson<{ environments: { name: string; target: string }[] }>(`${wharf}/deployments/environments`),
  list: () => getJson<{ endpoints: Endpoint[] }>(`${wharf}/deployments/list`),
  history: () => getJson<{ changes: DeployChange[] }>(`${wharf}/deployments/history`, { max_results: 200 }),
  liveMetrics: () => getJson<{ endpoints: { environment: string; model_name: string; instances: InstanceTraffic[] }[] }>(`${wharf}/deployments/live-metrics`),
}

export const pipelines = {
  list: () => getJson<{ runs: PipelineRun[] }>(`${wharf}/pipelines/runs/list`, { max_results: 200 }),
  get: (runId: string, signal?: AbortSignal) => getJson<{ run: PipelineRun }>(`${wharf}/pipelines/runs/get`, { run_id: runId }, signal),
  logs: (runId: string, after?: number) =>
    getJson<{ lines: LogLine[]; next_after?: number }>(`${wharf}/pipelines/logs`, { run_id: runId, after, max_results: 10_000 }),
  decide: (runId: string, step: string, decision: 'approved' | 'rejected', comment?: string) =>
    sendJson('POST', `${wharf}/pipelines/runs/decide`, { run_id: runId, step, decision, comment: comment || undefined }),
}
