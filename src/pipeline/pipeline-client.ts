import { ApiClient, type JsonObject } from '../client/index.js'
import type { WireLog, WireRun } from './pipeline-wire.js'

export interface ServerConnection {
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
  readonly user: string
}

/**
 * JSON over HTTP to a wharf server: the pipeline API (`/api/2.0/wharf/pipelines/...`) and the few
 * MLflow endpoints the steps read (runs, aliases). Sends HTTP Basic credentials with the user name
 * and the token as password, as the deploy client does; the server checks the token and records
 * approvals with the identity that proved, not the user name.
 */
export class ServerClient {
  readonly #api: ApiClient

  constructor(connection: ServerConnection) {
    this.#api = new ApiClient({ ...connection, userAgent: 'wharf-pipeline' })
  }

  /** `GET /api/2.0/<path>`, e.g. `mlflow/registered-models/alias`. */
  get(path: string, query: Record<string, string | number | undefined> = {}): Promise<JsonObject> {
    return this.#api.get(path, query)
  }

  post(path: string, body: Record<string, unknown>): Promise<JsonObject> {
    return this.#api.post(path, body)
  }

  // The pipeline API, typed.
  async getRun(runId: string): Promise<WireRun> {
    return (await this.get('wharf/pipelines/runs/get', { run_id: runId })).run as WireRun
  }

  async listRuns(pipeline?: string, maxResults = 50): Promise<WireRun[]> {
    return (await this.get('wharf/pipelines/runs/list', { pipeline, max_results: maxResults })).runs as WireRun[]
  }

  async listLogs(runId: string, after?: number): Promise<{ lines: WireLog[]; next_after?: number }> {
    return (await this.get('wharf/pipelines/logs', { run_id: runId, after })) as { lines: WireLog[]; next_after?: number }
  }
}
