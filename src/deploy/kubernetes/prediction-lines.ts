import type { CapturedPrediction } from '../prediction-tap.js'

/**
 * The prefix of the log line a router in the cluster writes for each prediction request it samples
 * for monitoring: the control plane reads these lines back from the pods' logs (router-log-harvest.ts)
 * and hands them to the same monitoring tap the local routers call.
 */
export const predictionLinePrefix = '{"wharf_prediction":'

/**
 * containerd splits longer lines into partial ones (`max_container_log_line_size`, 16 KiB by
 * default): a request whose line would be longer is not captured rather than read back torn.
 */
export const maxPredictionLineBytes = 16_000

interface PredictionLineBody {
  readonly time: number
  readonly requestId: string
  readonly version: string
  readonly path: string
  readonly status: number
  readonly request: unknown
  readonly response: unknown
}

/**
 * The log line for one sampled prediction, or undefined when its bodies are not JSON (monitoring reads
 * rows from JSON only) or the line would be too long. The bodies go in as JSON values, not as escaped
 * strings or base64, to keep lines short.
 */
export function predictionLine(p: CapturedPrediction): string | undefined {
  if (p.request.length + p.response.length > maxPredictionLineBytes) return undefined
  let request: unknown
  let response: unknown
  try {
    request = JSON.parse(p.request.toString('utf8'))
    response = JSON.parse(p.response.toString('utf8'))
  } catch {
    return undefined
  }
  const body: PredictionLineBody = { time: p.time, requestId: p.requestId, version: p.version, path: p.path, status: p.status, request, response }
  const line = `${predictionLinePrefix}${JSON.stringify(body)}}`
  return Buffer.byteLength(line) > maxPredictionLineBytes ? undefined : line
}

const isBody = (v: unknown): v is PredictionLineBody => {
  const b = v as Partial<PredictionLineBody> | null
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.time === 'number' &&
    typeof b.requestId === 'string' &&
    typeof b.version === 'string' &&
    typeof b.path === 'string' &&
    typeof b.status === 'number'
  )
}

/** The prediction a router log line carries, or undefined for any other line (or a torn one). */
export function predictionOf(line: string): CapturedPrediction | undefined {
  if (!line.startsWith(predictionLinePrefix)) return undefined
  let body: unknown
  try {
    body = (JSON.parse(line) as { wharf_prediction: unknown }).wharf_prediction
  } catch {
    return undefined
  }
  if (!isBody(body)) return undefined
  return {
    time: body.time,
    requestId: body.requestId,
    version: body.version,
    path: body.path,
    status: body.status,
    request: Buffer.from(JSON.stringify(body.request)),
    response: Buffer.from(JSON.stringify(body.response)),
  }
}
