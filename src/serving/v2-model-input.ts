import { badRequest } from '../errors.js'
import type { ColumnBatch, InputSchema, ValueKind } from './input-schema.js'
import type { ModelRequest } from './model-request.js'
import type { Predictor } from './predictor.js'
import type { NumericSplit } from './split-json.js'
import { checkTensor, type Tensor, type TensorInfo } from './tensor-input.js'
import { kindOfDatatype, type DatatypeKind } from './v2-datatype.js'
import type { V2Input } from './v2-request.js'

const clip = (s: string) => s.slice(0, 40)

/** Which V2 datatypes a model column of each kind takes; integral floats pass to integer columns, which check each value. */
const datatypesByColumnKind: Readonly<Record<ValueKind, readonly DatatypeKind[]>> = {
  number: ['float', 'integer'],
  integer: ['integer', 'float'],
  boolean: ['bool'],
  string: ['bytes'],
  any: ['float', 'integer', 'bool', 'bytes'],
}

const kindOfDtype = (dtype: string): ValueKind =>
  dtype === 'bool' ? 'boolean' : dtype === 'object' || dtype === 'str' ? 'string' : dtype.includes('int') ? 'integer' : 'number'

/** `target` is 'column' or 'tensor', named in the message (written only when it is thrown: this runs every request). */
function checkKind(input: V2Input, kind: ValueKind, target: string, targetName: string, type: string): void {
  if (!datatypesByColumnKind[kind].includes(kindOfDatatype(input.datatype)))
    throw badRequest(`input '${clip(input.name)}' is ${input.datatype}, but ${target} '${targetName}' takes ${type}`)
}

/** An [N, K] numeric matrix straight into the K columns of an all-numeric schema (values already checked as numbers). */
function numericMatrix(values: ArrayLike<unknown>, n: number, k: number): ColumnBatch {
  const numbers = values as ArrayLike<number>
  const columns = new Array<Float64Array>(k)
  for (let c = 0; c < k; c++) {
    const column = new Float64Array(n)
    for (let r = 0, at = c; r < n; r++, at += k) {
      const v = numbers[at]!
      // Binary FP data can hold infinities, which JSON cannot; refused as the other readers refuse an overflow.
      if (v === Infinity || v === -Infinity) throw badRequest(`the input holds an infinite value at row ${r}, column ${c}`)
      column[r] = v
    }
    columns[c] = column
  }
  return { rowCount: n, columns }
}

/**
 * An [N, K] FP64 matrix (read from JSON or binary) as a numeric split in schema order: the model
 * reads it into columns it reuses across requests, as /invocations' dataframe_split, instead of K
 * new arrays a request. Infinities, which only binary data can hold, are refused here as numericMatrix does.
 */
function numericSplit(schema: InputSchema, values: Float64Array, n: number, k: number): NumericSplit {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v === Infinity || v === -Infinity) throw badRequest(`the input holds an infinite value at row ${Math.floor(i / k)}, column ${i % k}`)
  }
  return { columns: schema.columnNames, rowCount: n, width: k, values, offset: 0 }
}

function fromColumns(schema: InputSchema, inputs: readonly V2Input[]): ModelRequest {
  const only = inputs[0]!
  const width = schema.columns.length
  const isMatrix = inputs.length === 1 && only.shape.length === 2 && only.shape[1] === width && !schema.columnNames.includes(only.name)
  if (isMatrix) {
    // Every column of an all-numeric schema takes the same datatypes: one check says what the loop would.
    if (schema.isAllNumeric) checkKind(only, schema.columns[0]!.kind, 'column', schema.columns[0]!.name, schema.columns[0]!.type)
    else for (const c of schema.columns) checkKind(only, c.kind, 'column', c.name, c.type)
    const n = only.shape[0]!
    if (n === 0) throw badRequest('the input has no rows (empty batch)')
    if (schema.isAllNumeric && only.values instanceof Float64Array) return { split: numericSplit(schema, only.values, n, width) }
    if (schema.isAllNumeric) return { batch: numericMatrix(only.values, n, width) }
    const rows: unknown[][] = []
    for (let r = 0; r < n; r++) rows.push(Array.prototype.slice.call(only.values, r * width, (r + 1) * width))
    return { batch: schema.fromRows(rows) }
  }
  const columns: Record<string, unknown[]> = {}
  for (const input of inputs) {
    const { shape } = input
    if (shape.length === 0 || shape.length > 2 || (shape.length === 2 && shape[1] !== 1))
      throw badRequest(`input '${clip(input.name)}' must have shape [N] or [N, 1] (one column) or [N, ${width}] (every column), got [${shape}]`)
    const column = schema.columns.find((c) => c.name === input.name)
    if (column !== undefined) checkKind(input, column.kind, 'column', column.name, column.type)
    columns[input.name] = Array.from(input.values)
  }
  return { batch: schema.fromColumnMap(columns) }
}

function fromTensors(infos: readonly TensorInfo[], inputs: readonly V2Input[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {}
  for (const input of inputs) {
    const info = infos.find((i) => i.name === input.name)
    if (info === undefined) throw badRequest(`unexpected input tensor '${clip(input.name)}'; the model takes ${infos.map((i) => i.name).join(', ')}`)
    checkKind(input, kindOfDtype(info.dtype), 'tensor', info.name, info.dtype)
    out[info.name] = checkTensor(info, { data: Array.from(input.values), dims: [...input.shape] })
  }
  for (const info of infos) if (out[info.name] === undefined) throw badRequest(`missing input tensor '${info.name}'`)
  return out
}

/**
 * V2 input tensors as a model request: named tensors for a tensor-signature model; for a column
 * model one [N, K] tensor in column order, or one [N] (or [N, 1]) tensor per column by name.
 */
export function modelRequestFromV2(predictor: Predictor, inputs: readonly V2Input[]): ModelRequest {
  if (predictor.schema === undefined) return { tensors: fromTensors(predictor.tensors!, inputs) }
  return fromColumns(predictor.schema, inputs)
}
