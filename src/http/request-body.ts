import { Readable } from 'node:stream'
import type { Context } from 'hono'
import { invalidParameter } from '../errors.js'
import type { AppEnv } from './app-env.js'

// log-inputs may carry a 16 MB dataset profile (MLflow's limit) plus its JSON overhead.
const maxJsonBytes = 20 * 1024 * 1024

/**
 * The JSON body of an API call. MLflow accepts `application/json` only (its `_validate_content_type`,
 * the CSRF fix for CVE-2023-6568); the refused header is never echoed back.
 */
export async function readJsonBody(c: Context<AppEnv>): Promise<unknown> {
  // Some calls carry everything in the path (DELETE logged-models/{id}/tags/{key}) and send no body.
  if (!c.req.header('content-type') && !c.req.header('transfer-encoding') && Number(c.req.header('content-length') ?? 0) === 0) return {}
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') throw invalidParameter('Bad Request. Content-Type must be one of [application/json].')
  const declared = Number(c.req.header('content-length') ?? 0)
  if (declared > maxJsonBytes) throw invalidParameter(`Malformed request: the body is larger than ${maxJsonBytes} bytes.`)
  const text = await c.req.text()
  if (Buffer.byteLength(text) > maxJsonBytes) throw invalidParameter(`Malformed request: the body is larger than ${maxJsonBytes} bytes.`)
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw invalidParameter('Malformed request: the body is not valid JSON.')
  }
}

/** The raw request body as a Node stream, without buffering it (artifact uploads can be gigabytes). */
export function requestBodyStream(c: Context<AppEnv>): Readable {
  if (c.env?.incoming) return c.env.incoming as Readable
  const body = c.req.raw.body
  return body ? Readable.fromWeb(body as import('node:stream/web').ReadableStream) : Readable.from([])
}

/** Query parameters as MLflow's GET encoding sends them: one value, or a list when a key repeats. */
export function queryFields(c: Context<AppEnv>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [key, values] of Object.entries(c.req.queries())) out[key] = values.length === 1 ? values[0]! : values
  return out
}
