import { ApiClient, TrackingError } from '../client/index.js'

export interface ArtifactEntry {
  readonly path: string
  readonly is_dir?: boolean
  readonly file_size?: number | string
}

export interface RegistryClientOptions {
  /** http(s)://host[:port][/prefix] of the tracking server (MLFLOW_TRACKING_URI). */
  readonly trackingUri: string
  readonly token?: string | undefined
  readonly timeoutMs?: number
}

/**
 * The read-only registry and artifact calls `mlflow.pyfunc.load_model` makes to find and fetch a
 * model (docs/protocols.md §3.4, §2), with the same bearer token the MLflow client sends.
 */
export class RegistryClient {
  readonly #api: ApiClient
  readonly #timeoutMs: number

  constructor(options: RegistryClientOptions) {
    this.#timeoutMs = options.timeoutMs ?? 30_000
    this.#api = new ApiClient({ trackingUri: options.trackingUri, token: options.token, timeoutMs: this.#timeoutMs })
  }

  async versionByAlias(name: string, alias: string): Promise<string> {
    const body = await this.#get<{ model_version: { version: string } }>('mlflow/registered-models/alias', { name, alias })
    return String(body.model_version.version)
  }

  async downloadUri(name: string, version: string): Promise<string> {
    return (await this.#get<{ artifact_uri: string }>('mlflow/model-versions/get-download-uri', { name, version })).artifact_uri
  }

  /** The newest version in `stage` (or overall), as the client picks for models:/NAME/STAGE. */
  async latestVersion(name: string, stage: string | undefined): Promise<string> {
    const body = (await this.#api.post('mlflow/registered-models/get-latest-versions', { name, ...(stage ? { stages: [stage] } : {}) })) as {
      model_versions?: { version: string }[]
    }
    const versions = (body.model_versions ?? []).map((v) => Number(v.version)).filter(Number.isInteger)
    if (versions.length === 0) throw new TrackingError('RESOURCE_DOES_NOT_EXIST', `no versions of model '${name}'${stage ? ` in stage '${stage}'` : ''}`, 404)
    return String(Math.max(...versions))
  }

  async runArtifactUri(runId: string): Promise<string> {
    return (await this.#get<{ run: { info: { artifact_uri: string } } }>('mlflow/runs/get', { run_id: runId })).run.info.artifact_uri
  }

  async loggedModelArtifactUri(modelId: string): Promise<string> {
    return (await this.#get<{ model: { info: { artifact_uri: string } } }>(`mlflow/logged-models/${encodeURIComponent(modelId)}`)).model.info.artifact_uri
  }

  /** One level of the artifact proxy listing under a store-relative path. */
  async listArtifacts(path: string): Promise<ArtifactEntry[]> {
    const body = await this.#get<{ files?: ArtifactEntry[] }>('mlflow-artifacts/artifacts', { path })
    return Array.isArray(body.files) ? body.files : []
  }

  async downloadArtifact(path: string): Promise<Response> {
    const url = this.#api.url(`/api/2.0/mlflow-artifacts/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`)
    return this.#api.send(url, { method: 'GET', timeoutMs: this.#timeoutMs * 10 })
  }

  async #get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    return (await this.#api.get(path, query)) as T
  }
}
