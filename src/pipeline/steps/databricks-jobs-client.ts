import { setTimeout as sleep } from 'node:timers/promises'

/** The parts of a Jobs API 2.1 `Run` the step reads (docs/databricks.md lists the calls). */
export interface DatabricksRun {
  readonly run_id: number
  readonly run_page_url?: string
  readonly state?: { life_cycle_state?: string; result_state?: string; state_message?: string; user_cancelled_or_timedout?: boolean }
  /** Newer workspaces also report `status`; its termination message says more than state_message. */
  readonly status?: { state?: string; termination_details?: { code?: string; message?: string } }
  readonly tasks?: readonly { run_id: number; task_key?: string; state?: DatabricksRun['state'] }[]
}

export interface DatabricksRunOutput {
  readonly notebook_output?: { result?: string; truncated?: boolean }
  readonly error?: string
  readonly error_trace?: string
  readonly logs?: string
}

/** Life cycle states after which a run never changes (Jobs API 2.1 RunLifeCycleState). */
export const terminalStates: ReadonlySet<string> = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR'])

/** An error answer of the Jobs API: `{"error_code": "...", "message": "..."}` with its HTTP status. */
export class DatabricksError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message)
  }
}

/** Statuses worth another try: rate limited (Databricks answers 429 under load), or the service failing. */
const isTransient = (status: number) => status === 429 || status >= 500
const maxAttempts = 4
const requestTimeoutMs = 30_000

/**
 * The five Jobs API 2.1 calls the `databricks` step makes, over `fetch` with a bearer token. GETs
 * and cancels are retried on 429/5xx and network errors; submits carry an idempotency token, so
 * retrying them cannot start a second run (Databricks returns the first run's id).
 */
export class DatabricksJobsClient {
  readonly #base: string
  readonly #token: string
  readonly #signal: AbortSignal | undefined

  constructor(host: string, token: string, signal?: AbortSignal) {
    let url: URL
    try {
      url = new URL(host)
    } catch {
      throw new Error(`the Databricks host must be a URL such as https://adb-1234567890123456.7.azuredatabricks.net, got '${host}'`)
    }
    const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)
    // The token travels in a header: never in clear text, except to a stand-in on this machine.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new Error(`the Databricks host must be https://, got '${url.origin}'`)
    this.#base = url.origin
    this.#token = token
    this.#signal = signal
  }

  get host(): string {
    return this.#base
  }

  submit(body: Record<string, unknown>): Promise<{ run_id: number }> {
    return this.#call('POST', '/api/2.1/jobs/runs/submit', body)
  }

  runNow(body: Record<string, unknown>): Promise<{ run_id: number }> {
    return this.#call('POST', '/api/2.1/jobs/run-now', body)
  }

  getRun(runId: number): Promise<DatabricksRun> {
    return this.#call('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)
  }

  /** The output of one task run (a multi-task run's own id is refused by Databricks). */
  getOutput(taskRunId: number): Promise<DatabricksRunOutput> {
    return this.#call('GET', `/api/2.1/jobs/runs/get-output?run_id=${taskRunId}`)
  }

  /** Cancels asynchronously: the run may still be running when this returns. Sent even after the step's signal fired. */
  cancel(runId: number): Promise<unknown> {
    return this.#call('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId }, { ignoreSignal: true })
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>, options: { ignoreSignal?: boolean } = {}): Promise<T> {
    const signal = options.ignoreSignal || !this.#signal ? undefined : this.#signal
    for (let attempt = 1; ; attempt++) {
      let response: Response
      try {
        response = await fetch(this.#base + path, {
          method,
          headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
          signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]) : AbortSignal.timeout(requestTimeoutMs),
        })
      } catch (err) {
        if (signal?.aborted) throw err
        if (attempt < maxAttempts) {
          await sleep(500 * 2 ** attempt, undefined, signal ? { signal } : {})
          continue
        }
        throw new Error(
          `${method} ${path.split('?')[0]} on ${this.#base} failed: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
        )
      }
      const text = await response.text()
      if (response.ok) return (text ? JSON.parse(text) : {}) as T
      if (isTransient(response.status) && attempt < maxAttempts) {
        await sleep(Math.min(10_000, 500 * 2 ** attempt), undefined, signal ? { signal } : {})
        continue
      }
      throw errorOf(method, path, response.status, text)
    }
  }
}

function errorOf(method: string, path: string, status: number, text: string): DatabricksError {
  let code = String(status)
  let message = text.slice(0, 500)
  try {
    const parsed = JSON.parse(text) as { error_code?: string; message?: string }
    code = parsed.error_code ?? code
    message = parsed.message ?? message
  } catch {
    // not JSON (a proxy's HTML page): its start is the message
  }
  return new DatabricksError(status, code, `Databricks ${method} ${path.split('?')[0]} answered ${status} ${code}: ${message}`)
}
