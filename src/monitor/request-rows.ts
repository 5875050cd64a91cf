/** A request's rows as feature name → value; undefined when the body names no columns (a bare tensor, CSV). */
export type Row = Readonly<Record<string, unknown>>

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function splitRows(split: unknown): Row[] | undefined {
  if (!isObject(split) || !Array.isArray(split.columns) || !Array.isArray(split.data)) return undefined
  const columns = split.columns.map(String)
  return split.data.map((row) => (Array.isArray(row) ? Object.fromEntries(columns.map((c, i) => [c, row[i]])) : {}))
}

function columnRows(columns: Readonly<Record<string, unknown>>): Row[] | undefined {
  const entries = Object.entries(columns).map(([name, values]) => [name, Array.isArray(values) ? values.flat(2) : [values]] as const)
  const count = Math.max(0, ...entries.map(([, values]) => values.length))
  return Array.from({ length: count }, (_, i) => Object.fromEntries(entries.map(([name, values]) => [name, values[i]])))
}

/**
 * The rows of a scoring request in any JSON shape `wharf serve` reads with column names: MLflow's
 * `dataframe_split`, `dataframe_records`, `instances` (records) and `inputs` (a column dict), Azure
 * ML's `input_data` (split), and KServe V2 with one named input per column.
 */
export function requestRows(body: unknown): Row[] | undefined {
  if (!isObject(body)) return undefined
  if ('dataframe_split' in body) return splitRows(body.dataframe_split)
  if ('input_data' in body) return splitRows(body.input_data)
  for (const key of ['dataframe_records', 'instances'] as const) {
    const records = body[key]
    if (Array.isArray(records)) return records.every(isObject) ? records : undefined
  }
  const inputs = body.inputs
  if (isObject(inputs)) return columnRows(inputs)
  if (Array.isArray(inputs) && inputs.length > 1 && inputs.every((t) => isObject(t) && typeof t.name === 'string' && Array.isArray(t.data))) {
    return columnRows(Object.fromEntries(inputs.map((t) => [(t as { name: string }).name, (t as { data: unknown[] }).data])))
  }
  return undefined
}

/** The answer's predictions as sent: MLflow's `predictions`, V2's first output's `data`, or a bare array (Azure ML). */
export function answerPredictions(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body
  if (!isObject(body)) return undefined
  if (Array.isArray(body.predictions)) return body.predictions
  if (isObject(body.predictions)) return Object.values(body.predictions)[0] as unknown[] | undefined
  if (Array.isArray(body.outputs) && isObject(body.outputs[0]) && Array.isArray(body.outputs[0].data)) return body.outputs[0].data
  return undefined
}

/** One number per prediction (the first number of a row or an object), NaN where there is none. */
export function predictionNumbers(predictions: readonly unknown[]): number[] {
  const first = (v: unknown): number => {
    if (typeof v === 'number') return v
    if (Array.isArray(v)) return v.length > 0 ? first(v[0]) : Number.NaN
    if (isObject(v)) return first(Object.values(v)[0])
    return Number.NaN
  }
  return predictions.map(first)
}

/** Parses JSON, or undefined for a body that is not JSON (CSV, a protocol error page). */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}
