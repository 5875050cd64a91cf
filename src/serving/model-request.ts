import type { Prediction } from '../models/index.js'
import type { ColumnBatch } from './input-schema.js'
import type { Predictor } from './predictor.js'
import { badRequest } from '../errors.js'
import type { NumericSplit } from './split-json.js'
import { tensorsFromJson, type Tensor } from './tensor-input.js'

/**
 * What the protocols hand the core: validated columns, named tensors for tensor models, or a
 * numeric split the core checks as it scores.
 */
export type ModelRequest =
  | { readonly batch: ColumnBatch; readonly tensors?: undefined; readonly split?: undefined }
  | { readonly tensors: Readonly<Record<string, Tensor>>; readonly batch?: undefined; readonly split?: undefined }
  /** A numeric dataframe_split read from the body's bytes; it lives in the reader's memory until its next read. */
  | { readonly split: NumericSplit; readonly batch?: undefined; readonly tensors?: undefined }

export function runRequest(predictor: Predictor, request: ModelRequest): Prediction | Promise<Prediction> {
  if (request.split !== undefined) return predictor.predictSplit(request.split)
  return request.batch !== undefined ? predictor.predict(request.batch) : predictor.predictTensors(request.tensors)
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Parses a JSON body; the parser's own message is not echoed (it quotes the input). */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw badRequest('malformed JSON in the request body')
  }
}

/**
 * A body that is only `{"KEY": rows of numbers}` in the schema's column order (V1 `instances`,
 * Azure ML `data`), read from its bytes as /invocations reads dataframe_split; undefined for
 * anything else, which the caller parses the general way (and answers every error from there).
 */
export function requestFromRowsBody(predictor: Predictor, body: Buffer, key: Buffer): ModelRequest | undefined {
  const schema = predictor.schema
  const reader = schema?.splitReader
  if (reader === undefined) return undefined
  const rows = reader.readRows(body, key)
  if (rows === undefined || rows.width !== schema!.columns.length) return undefined
  return { split: { columns: schema!.columnNames, rowCount: rows.rowCount, width: rows.width, values: rows.values, offset: rows.offset } }
}

/** pandas split orient (`dataframe_split`, Azure `input_data`). */
export function requestFromSplit(predictor: Predictor, split: unknown, what: string): ModelRequest {
  if (!isObject(split)) throw badRequest(`${what} must be an object with 'columns' and 'data'`)
  if (predictor.schema === undefined) return { tensors: tensorsFromJson(predictor.tensors!, split['data']) }
  return { batch: predictor.schema.fromSplit(split['columns'], split['data']) }
}

export function requestFromRecords(predictor: Predictor, records: unknown, what: string): ModelRequest {
  if (!Array.isArray(records)) throw badRequest(`${what} must be a list of records`)
  if (predictor.schema === undefined) return { tensors: pivot(predictor, records, what) }
  return { batch: predictor.schema.fromRecords(records) }
}

/**
 * TF-serving row format (`instances`, V1 predict, Azure `data`): a list of records, a list of rows
 * in schema order, or a list of scalars for a one-column model.
 */
export function requestFromInstances(predictor: Predictor, instances: unknown, what: string): ModelRequest {
  if (!Array.isArray(instances)) throw badRequest(`${what} must be a list`)
  if (instances.length === 0) throw badRequest('the input has no rows (empty batch)')
  if (isObject(instances[0])) return requestFromRecords(predictor, instances, what)
  const schema = predictor.schema
  if (schema === undefined) return { tensors: tensorsFromJson(predictor.tensors!, instances) }
  if (!Array.isArray(instances[0]) && schema.columns.length === 1) return { batch: schema.fromRows(instances.map((v) => [v])) }
  return { batch: schema.fromRows(instances) }
}

/** TF-serving columnar format (`inputs`): `{"col": [...]}` or, for one input, a bare list. */
export function requestFromInputs(predictor: Predictor, inputs: unknown): ModelRequest {
  const schema = predictor.schema
  if (schema === undefined) return { tensors: tensorsFromJson(predictor.tensors!, inputs) }
  if (Array.isArray(inputs)) return requestFromInstances(predictor, inputs, 'inputs')
  if (!isObject(inputs)) throw badRequest("'inputs' must be a list or an object of named columns")
  return { batch: schema.fromColumnMap(inputs) }
}

function pivot(predictor: Predictor, records: readonly unknown[], what: string): Record<string, Tensor> {
  const columns: Record<string, unknown[]> = {}
  for (const [i, r] of records.entries()) {
    if (!isObject(r)) throw badRequest(`${what}: record ${i} must be an object`)
    for (const [k, v] of Object.entries(r)) {
      columns[k] ??= []
      columns[k]!.push(v)
    }
  }
  return tensorsFromJson(predictor.tensors!, columns)
}
