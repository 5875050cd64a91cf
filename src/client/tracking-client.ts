import { readdir, readFile, stat } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { ApiClient, TrackingError } from './fetch-json.js'

export interface RunInfo {
  readonly run_id: string
  readonly experiment_id: string
  readonly artifact_uri: string
  readonly status: string
}

export interface ModelVersion {
  readonly name: string
  readonly version: string
  readonly source: string
  readonly run_id?: string
  readonly status: string
}

export interface Metric {
  readonly key: string
  readonly value: number
  readonly timestamp: number
  readonly step: number
}

export interface KeyValue {
  readonly key: string
  readonly value: string
}

export interface TrackingClientOptions {
  /** Tracking server base URL, e.g. http://127.0.0.1:5000 (a path prefix is kept). */
  readonly trackingUri: string
  readonly token?: string | undefined
}

/** MLflow's per-request limits for runs/log-batch (mlflow/utils/validation.py). */
const logBatchLimits = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const

/**
 * A small typed client of the MLflow REST API (docs/protocols.md §1–3): what `wharf train`
 * needs to log a run, upload its artifacts through the artifact proxy, and register the model.
 */
export class TrackingClient {
  readonly #api: ApiClient

  constructor(options: TrackingClientOptions) {
    this.#api = new ApiClient({ trackingUri: options.trackingUri, token: options.token })
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    try {
      const found = await this.#get<{ experiment: { experiment_id: string } }>('mlflow/experiments/get-by-name', { experiment_name: name })
      return found.experiment.experiment_id
    } catch (err) {
      if (!(err instanceof TrackingError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST')) throw err
    }
    try {
      const created = await this.#post<{ experiment_id: string }>('mlflow/experiments/create', { name })
      return created.experiment_id
    } catch (err) {
      // Another client created it between our two calls (MLflow's set_experiment does the same).
      if (err instanceof TrackingError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') return this.getOrCreateExperiment(name)
      throw err
    }
  }

  async createRun(experimentId: string, options: { runName?: string; tags?: readonly KeyValue[]; startTime?: number } = {}): Promise<RunInfo> {
    const body = {
      experiment_id: experimentId,
      start_time: options.startTime ?? Date.now(),
      tags: options.tags ?? [],
      ...(options.runName ? { run_name: options.runName } : {}),
    }
    const { run } = await this.#post<{ run: { info: RunInfo } }>('mlflow/runs/create', body)
    return run.info
  }

  async getRun(runId: string): Promise<RunInfo> {
    const { run } = await this.#get<{ run: { info: RunInfo } }>('mlflow/runs/get', { run_id: runId })
    return run.info
  }

  /** Logs everything, split into requests within MLflow's log-batch limits. */
  async logBatch(runId: string, batch: { metrics?: readonly Metric[]; params?: readonly KeyValue[]; tags?: readonly KeyValue[] }): Promise<void> {
    for (const chunk of chunkBatch(batch)) {
      const metrics = chunk.metrics.map((m) => ({ ...m, value: wireDouble(m.value) }))
      await this.#post('mlflow/runs/log-batch', { run_id: runId, ...chunk, metrics })
    }
  }

  async updateRun(runId: string, status: 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED', endTime = Date.now()): Promise<void> {
    await this.#post('mlflow/runs/update', { run_id: runId, run_uuid: runId, status, end_time: endTime })
  }

  /**
   * Uploads a file or a folder (recursively) under `artifactPath` of a run whose artifact URI is
   * proxied (`mlflow-artifacts:/...`), with `PUT /api/2.0/mlflow-artifacts/artifacts/<path>`.
   */
  async uploadArtifacts(artifactUri: string, localPath: string, artifactPath = ''): Promise<void> {
    const root = proxiedPath(artifactUri)
    const info = await stat(localPath)
    if (info.isDirectory()) {
      for (const entry of await readdir(localPath, { withFileTypes: true })) {
        if (entry.isSymbolicLink()) continue // never follow links out of the folder being uploaded
        await this.uploadArtifacts(artifactUri, join(localPath, entry.name), artifactPath ? posix.join(artifactPath, entry.name) : entry.name)
      }
      return
    }
    const target = [root, artifactPath].filter((s) => s !== '').join('/')
    const url = this.#api.url(`/api/2.0/mlflow-artifacts/artifacts/${target.split('/').map(encodeURIComponent).join('/')}`)
    await this.#api.send(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: await readFile(localPath) })
  }

  async createRegisteredModel(name: string): Promise<void> {
    try {
      await this.#post('mlflow/registered-models/create', { name })
    } catch (err) {
      if (!(err instanceof TrackingError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err
    }
  }

  async createModelVersion(name: string, source: string, runId?: string): Promise<ModelVersion> {
    const { model_version } = await this.#post<{ model_version: ModelVersion }>('mlflow/model-versions/create', {
      name,
      source,
      ...(runId ? { run_id: runId } : {}),
    })
    return model_version
  }

  async #get<T>(path: string, query: Record<string, string>): Promise<T> {
    return (await this.#api.get(path, query)) as T
  }

  async #post<T = unknown>(path: string, body: Record<string, unknown>): Promise<T> {
    return (await this.#api.post(path, body)) as T
  }
}

/** Protobuf JSON spells non-finite doubles as strings (docs/protocols.md §0); JSON.stringify would send null. */
function wireDouble(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return 'Infinity'
  if (value === -Infinity) return '-Infinity'
  return value
}

/** The store-relative path of a proxied artifact URI (`mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`). */
export function proxiedPath(artifactUri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(artifactUri)
  if (match === null)
    throw new Error(`artifact URI '${artifactUri}' is not proxied (mlflow-artifacts:/...); Wharf's client uploads through the tracking server only`)
  const path = match[1]!.replace(/\/+$/, '')
  if (path.split('/').some((s) => s === '..')) throw new Error(`artifact URI '${artifactUri}' contains '..'`)
  return path
}

/** Splits a batch into requests of at most 1000 metrics, 100 params, 100 tags and 1000 entities. */
export function chunkBatch(batch: { metrics?: readonly Metric[]; params?: readonly KeyValue[]; tags?: readonly KeyValue[] }) {
  const metrics = [...(batch.metrics ?? [])]
  const params = [...(batch.params ?? [])]
  const tags = [...(batch.tags ?? [])]
  const chunks: { metrics: Metric[]; params: KeyValue[]; tags: KeyValue[] }[] = []
  while (metrics.length + params.length + tags.length > 0) {
    const p = params.splice(0, logBatchLimits.params)
    const t = tags.splice(0, logBatchLimits.tags)
    const m = metrics.splice(0, Math.min(logBatchLimits.metrics, logBatchLimits.total - p.length - t.length))
    chunks.push({ metrics: m, params: p, tags: t })
  }
  return chunks
}
