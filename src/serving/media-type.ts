import { MlflowError } from '../errors.js'

export type MediaType = 'json' | 'csv'

const unsupported = (accepted: string) =>
  // The header is not echoed: MLflow's echo was an XSS vector (docs/security.md §3.6–3.7).
  new MlflowError('UNSUPPORTED_MEDIA_TYPE', `This predictor only supports the following content types: ${accepted}.`)

/**
 * The body's media type, as `mlflow models serve` accepts it: `application/json` or `text/csv`,
 * with at most a `charset=utf-8` parameter (docs/protocols.md §6). A missing header is refused too: a
 * browser can send that cross-origin without a preflight (docs/security.md §3.8).
 */
export function mediaTypeOf(header: string | undefined, allowCsv: boolean): MediaType {
  if (header === 'application/json') return 'json'
  const accepted = allowCsv ? 'application/json, text/csv' : 'application/json'
  if (header === undefined) throw unsupported(accepted)
  const [type, ...params] = header.toLowerCase().split(';')
  for (const p of params) {
    if (p.trim().replace(/"/g, '') !== 'charset=utf-8') throw unsupported(accepted)
  }
  const t = type!.trim()
  if (t === 'application/json') return 'json'
  if (t === 'text/csv' && allowCsv) return 'csv'
  throw unsupported(accepted)
}
