/** A JSON object as Wharf's and MLflow's APIs answer it. */
// biome-ignore lint/suspicious/noExplicitAny: the commands that print answers read them field by field; their shape is the server's, documented in docs/protocols.md.
export type JsonObject = Record<string, any>

/** An error answered by the tracking server, with MLflow's `error_code` and message. */
export class TrackingError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly status: number,
  ) {
    super(`${errorCode}: ${message}`)
    this.name = 'TrackingError'
  }
}

export interface ApiClientOptions {
  /** http(s)://host[:port][/prefix] of the server (MLFLOW_TRACKING_URI / WHARF_TRACKING_URI); a path prefix is kept. */
  readonly trackingUri?: string | undefined
  /** Sent as `Authorization: Bearer <token>`, as the MLflow client sends MLFLOW_TRACKING_TOKEN. */
  readonly token?: string | undefined
  /**
   * Who the caller says it is: then the credentials go as HTTP Basic `user:token` instead, so the
   * server records changes (deployments, approvals) with that name and still checks the token.
   */
  readonly user?: string | undefined
  readonly userAgent?: string | undefined
  /** Per request; none by default (the CLI waits as long as the server takes). */
  readonly timeoutMs?: number | undefined
}

export type Query = Readonly<Record<string, string | number | undefined>>

/**
 * The one base of Wharf's HTTP clients (tracking, registry, deployments, pipelines): checks the
 * tracking URI once, sends the credentials, refuses redirects (a server cannot send us, and our
 * token, somewhere else), and turns network failures, non-JSON bodies and `{error_code, message}`
 * answers into readable errors.
 */
export class ApiClient {
  /** The server's base URL without a trailing slash. */
  readonly baseUri: string
  readonly #headers: Readonly<Record<string, string>>
  readonly #timeoutMs: number | undefined

  constructor(options: ApiClientOptions) {
    const uri = options.trackingUri
    if (!uri) throw new Error('no tracking server: set WHARF_TRACKING_URI or MLFLOW_TRACKING_URI (e.g. http://127.0.0.1:5000)')
    if (!/^https?:\/\/[^/]/i.test(uri)) throw new Error(`the tracking URI must be http(s)://..., got '${uri}'`)
    this.baseUri = uri.replace(/\/+$/, '')
    this.#headers = { ...(options.userAgent ? { 'user-agent': options.userAgent } : {}), ...authorization(options) }
    this.#timeoutMs = options.timeoutMs
  }

  /** `GET /api/2.0/<path>?query` (undefined query values are left out). */
  get(path: string, query: Query = {}, notFoundHint?: string): Promise<JsonObject> {
    return this.#json('GET', this.url(`/api/2.0/${path}`, query), undefined, notFoundHint)
  }

  /** `POST /api/2.0/<path>` with a JSON body (undefined fields are left out). */
  post(path: string, body: Readonly<Record<string, unknown>>, notFoundHint?: string): Promise<JsonObject> {
    return this.#json('POST', this.url(`/api/2.0/${path}`), body, notFoundHint)
  }

  url(path: string, query: Query = {}): URL {
    const url = new URL(this.baseUri + path)
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value))
    return url
  }

  /** A raw call (artifact uploads and downloads): the response when it is a 2xx, else its error. */
  async send(
    url: URL,
    init: { readonly method: string; readonly headers?: Record<string, string>; readonly body?: string | Buffer; readonly timeoutMs?: number },
  ): Promise<Response> {
    const timeoutMs = init.timeoutMs ?? this.#timeoutMs
    let response: Response
    try {
      response = await fetch(url, {
        method: init.method,
        headers: { ...this.#headers, ...init.headers },
        body: init.body,
        redirect: 'error',
        ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      throw new Error(`could not reach the tracking server at ${this.baseUri}: ${cause?.code ?? cause?.message ?? String(err)}`, { cause: err })
    }
    if (!response.ok) throw errorOf(response.status, await response.text().catch(() => ''), response.statusText)
    return response
  }

  async #json(method: 'GET' | 'POST', url: URL, body: Readonly<Record<string, unknown>> | undefined, notFoundHint: string | undefined): Promise<JsonObject> {
    const fields = body === undefined ? undefined : JSON.stringify(Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)))
    let response: Response
    try {
      response = await this.send(url, { method, ...(fields === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: fields }) })
    } catch (err) {
      if (notFoundHint !== undefined && err instanceof TrackingError && err.status === 404 && err.errorCode === 'ENDPOINT_NOT_FOUND')
        throw new Error(notFoundHint)
      throw err
    }
    const text = await response.text()
    try {
      return text ? (JSON.parse(text) as JsonObject) : {}
    } catch {
      throw new Error(`${method} ${url.pathname} answered ${response.status} with a body that is not JSON`)
    }
  }
}

function authorization(options: ApiClientOptions): Record<string, string> {
  if (options.user !== undefined) {
    const credentials = Buffer.from(`${options.user.replace(/:/g, '_')}:${options.token ?? ''}`).toString('base64')
    return { authorization: `Basic ${credentials}` }
  }
  return options.token ? { authorization: `Bearer ${options.token}` } : {}
}

/** `{error_code, message}` when the body has them, else the status and the start of the body. */
function errorOf(status: number, text: string, statusText: string): TrackingError {
  let parsed: { error_code?: unknown; message?: unknown } = {}
  try {
    const json: unknown = JSON.parse(text)
    if (json !== null && typeof json === 'object') parsed = json
  } catch {
    // not JSON: keep the status
  }
  const code = typeof parsed.error_code === 'string' ? parsed.error_code : `HTTP_${status}`
  const message = typeof parsed.message === 'string' ? parsed.message : text.slice(0, 200) || statusText
  return new TrackingError(code, message, status)
}
