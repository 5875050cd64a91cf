import { TrackingError } from './tracking-client.js'

/** A JSON object as Wharf's and MLflow's APIs answer it. */
export type JsonObject = Record<string, any>

/**
 * One HTTP call to a Wharf or MLflow API, answered as JSON; the single place the CLI clients turn
 * network failures, non-JSON bodies and `{error_code, message}` answers into readable errors.
 * `notFoundHint` replaces the message when the server lacks the endpoint altogether.
 */
export async function fetchJson(serverUri: string, url: URL, init: RequestInit, notFoundHint?: string): Promise<JsonObject> {
  let res: Response
  try {
    res = await fetch(url, init)
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    throw new Error(`could not reach the tracking server at ${serverUri}: ${cause?.code ?? cause?.message ?? String(err)}`)
  }
  const text = await res.text()
  let body: JsonObject = {}
  try {
    body = text ? (JSON.parse(text) as JsonObject) : {}
  } catch {
    throw new Error(`${init.method} ${url.pathname} answered ${res.status} with a body that is not JSON`)
  }
  if (notFoundHint !== undefined && res.status === 404 && body.error_code === 'ENDPOINT_NOT_FOUND') throw new Error(notFoundHint)
  if (!res.ok) throw new TrackingError(body.error_code ?? `HTTP ${res.status}`, body.message ?? text.slice(0, 200), res.status)
  return body
}
