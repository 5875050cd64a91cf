import { askForToken, currentToken } from './token.js'

/** An error answered by the server, in MLflow's shape: `{ error_code, message }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) params.append(key, v)
    else params.append(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

/**
 * Fetches from the server's API with the session's token. A 401 opens the token prompt and sends
 * the request again once a token is given; other errors become ApiError with the server's words.
 */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const token = currentToken()
    const headers = new Headers(init.headers)
    // Tells the server this is the page: it then answers 401 without a Basic challenge.
    headers.set('X-Requested-With', 'wharf-ui')
    if (token) headers.set('Authorization', `Bearer ${token}`)
    const res = await fetch(path, { ...init, headers, credentials: 'same-origin' })
    if (res.status !== 401) return res
    await res.body?.cancel()
    await askForToken(token !== undefined)
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text()
  try {
    const body = JSON.parse(text) as { error_code?: string; message?: string }
    return new ApiError(res.status, body.error_code ?? `HTTP_${res.status}`, body.message ?? text)
  } catch {
    return new ApiError(res.status, `HTTP_${res.status}`, text.trim() || res.statusText)
  }
}

export async function getJson<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
  const res = await send(withQuery(path, query), signal ? { signal } : {})
  if (!res.ok) throw await errorOf(res)
  return (await res.json()) as T
}

export async function sendJson<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) })
  if (!res.ok) throw await errorOf(res)
  const text = await res.text()
  return (text ? JSON.parse(text) : {}) as T
}

/** A file's bytes (artifacts), with the same token handling. */
export async function getBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await send(path, signal ? { signal } : {})
  if (!res.ok) throw await errorOf(res)
  return res.blob()
}
