import { TrackingError } from '../client/index.js'

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
 * model (PROTOCOLS.md §3.4, §2), with the same bearer token the MLflow client sends.
 */
export class RegistryClient {
  readonly #base: string
  readonly #headers: Record<string, string>
  readonly #timeoutMs: number

  constructor(options: RegistryClientOptions) {
    const url = new URL(options.trackingUri)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`the tracking URI must be http(s), got '${options.trackingUri}'`)
    this.#base = options.trackingUri.replace(/\/+$/, '')
    this.#headers = options.token ? { Authorization: `Bearer ${options.token}` } : {}
    this.#timeoutMs = options.timeoutMs ?? 30_000
  }

  async versionByAlias(name: string, alias: string): Promise<string> {
    const body = await this.#json<{ model_version: { version: string } }>('GET', '/api/2.0/mlflow/registered-models/alias', { name, alias })
    return String(body.model_version.version)
  }

  async downloadUri(name: string, version: string): Promise<string> {
    return (await this.#json<{ artifact_uri: string }>('GET', '/api/2.0/mlflow/model-versions/get-download-uri', { name, version })).artifact_uri
  }

  /** The newest version in `stage` (or overall), as the client picks for models:/NAME/STAGE. */
  async latestVersion(name: string, stage: string | undefined): Promise<string> {
    const body = await this.#json<{ model_versions?: { version: string }[] }>('POST', '/api/2.0/mlflow/registered-models/get-latest-versions', undefined, { name, ...(stage ? { stages: [stage] } : {}) })
    const versions = (body.model_versions ?? []).map((v) => Number(v.version)).filter(Number.isInteger)
    if (versions.length === 0) throw new TrackingError('RESOURCE_DOES_NOT_EXIST', `no versions of model '${name}'${stage ? ` in stage '${stage}'` : ''}`, 404)
    return String(Math.max(...versions))
  }

  async runArtifactUri(runId: string): Promise<string> {
    return (await this.#json<{ run: { info: { artifact_uri: string } } }>('GET', '/api/2.0/mlflow/runs/get', { run_id: runId })).run.info.artifact_uri
  }

  async loggedModelArtifactUri(modelId: string): Promise<string> {
    return (await this.#json<{ model: { info: { artifact_uri: string } } }>('GET', `/api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}`)).model.info.artifact_uri
  }

  /** One level of the artifact proxy listing under a store-relative path. */
  async listArtifacts(path: string): Promise<ArtifactEntry[]> {
    const body = await this.#json<{ files?: ArtifactEntry[] }>('GET', '/api/2.0/mlflow-artifacts/artifacts', { path })
    return Array.isArray(body.files) ? body.files : []
  }

  async downloadArtifact(path: string): Promise<Response> {
    const url = `${this.#base}/api/2.0/mlflow-artifacts/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`
    const response = await fetch(url, { headers: this.#headers, signal: AbortSignal.timeout(this.#timeoutMs * 10), redirect: 'error' })
    if (!response.ok) throw await this.#error(response)
    return response
  }

  async #json<T>(method: 'GET' | 'POST', path: string, query?: Record<string, string>, body?: unknown): Promise<T> {
    const url = `${this.#base}${path}${query ? `?${new URLSearchParams(query)}` : ''}`
    const headers = body === undefined ? this.#headers : { ...this.#headers, 'Content-Type': 'application/json' }
    // No redirects: a tracking server cannot send us (and our token) somewhere else.
    const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.#timeoutMs), redirect: 'error' })
    if (!response.ok) throw await this.#error(response)
    return (await response.json()) as T
  }

  async #error(response: Response): Promise<TrackingError> {
    const text = await response.text().catch(() => '')
    let parsed: { error_code?: string; message?: string } = {}
    try {
      parsed = JSON.parse(text) as typeof parsed
    } catch {
      // not JSON: keep the status
    }
    return new TrackingError(parsed.error_code ?? `HTTP_${response.status}`, parsed.message ?? (text.slice(0, 200) || response.statusText), response.status)
  }
}
