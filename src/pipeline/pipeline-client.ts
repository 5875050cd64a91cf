import { fetchJson } from '../client/index.js'
import type { WireLog, WireRun } from './pipeline-wire.js'

export interface ServerConnection {
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
  readonly user: string
}

type Json = Record<string, any>

/**
 * JSON over HTTP to a wharf server: the pipeline API (`/api/2.0/wharf/pipelines/...`) and the few
 * MLflow endpoints the steps read (runs, aliases). Sends HTTP Basic credentials with the user name
 * and the token as password, as the deploy client does; the server checks the token and records
 * approvals with the identity that proved, not the user name.
 */
export class ServerClient {
  readonly base: string
  readonly #headers: Record<string, string>

  constructor(connection: ServerConnection) {
    if (!connection.trackingUri) throw new Error('no tracking server: set WHARF_TRACKING_URI or MLFLOW_TRACKING_URI (e.g. http://127.0.0.1:5000)')
    if (!/^https?:\/\//.test(connection.trackingUri)) throw new Error(`the tracking URI must be http(s)://..., got '${connection.trackingUri}'`)
    this.base = connection.trackingUri.replace(/\/+$/, '')
    const credentials = Buffer.from(`${connection.user.replace(/:/g, '_')}:${connection.token ?? ''}`).toString('base64')
    this.#headers = { 'user-agent': 'wharf-pipeline', authorization: `Basic ${credentials}` }
  }

  get(path: string, query: Record<string, string | number | undefined> = {}): Promise<Json> {
    const url = new URL(`${this.base}/api/2.0/${path}`)
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v))
    return this.#call(url, { method: 'GET', headers: this.#headers })
  }

  post(path: string, body: Record<string, unknown>): Promise<Json> {
    const url = new URL(`${this.base}/api/2.0/${path}`)
    return this.#call(url, { method: 'POST', headers: { ...this.#headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  }

  #call(url: URL, init: RequestInit): Promise<Json> {
    return fetchJson(this.base, url, init)
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
