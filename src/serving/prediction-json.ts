import type { OutputTensor, Prediction } from '../models/index.js'
import { datatypeOf } from './tensor-input.js'

/**
 * Writes predictions as JSON text by hand: for the one-row hot path this is several times faster
 * than building arrays for JSON.stringify. Non-finite numbers become null, as pandas writes NaN.
 */
export function numbersJson(values: ArrayLike<number | bigint | string | boolean>, start = 0, end = values.length): string {
  if (end - start === 1) return `[${scalarJson(values[start]!)}]`
  let s = '['
  for (let i = start; i < end; i++) s += (i === start ? '' : ',') + scalarJson(values[i]!)
  return `${s}]`
}

function scalarJson(v: number | bigint | string | boolean): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null'
  if (typeof v === 'string') return JSON.stringify(v)
  return String(v) // bigint, boolean
}

/** A tensor as nested lists, row-major, following `dims`. */
function tensorJson(t: OutputTensor): string {
  const dims = t.dims.length === 0 ? [t.data.length] : t.dims
  const data = t.data as ArrayLike<number | bigint | string>
  const nest = (depth: number, at: number): string => {
    if (depth === dims.length - 1) return numbersJson(data, at, at + dims[depth]!)
    const stride = dims.slice(depth + 1).reduce((a, b) => a * b, 1)
    const parts: string[] = []
    for (let i = 0; i < dims[depth]!; i++) parts.push(nest(depth + 1, at + i * stride))
    return `[${parts.join(',')}]`
  }
  return nest(0, 0)
}

/**
 * The `predictions` value, shaped as `mlflow models serve` answers for a scikit-learn model:
 * regression values or class labels as a flat list; anything else as a dict of output tensors.
 */
export function predictionsJson(p: Prediction): string {
  if (p.task === 'regression' && p.values !== undefined) return numbersJson(p.values)
  if (p.task === 'classification' && p.labels !== undefined) return numbersJson(p.labels)
  return `{${Object.entries(p.outputs)
    .map(([name, t]) => `${JSON.stringify(name)}:${tensorJson(t)}`)
    .join(',')}}`
}

/** The V2 datatype an output is written as (binary outputs use the same, see v2-binary.ts). */
export function datatypeOfData(data: OutputTensor['data']): string {
  if (data instanceof Float64Array) return 'FP64'
  if (data instanceof Float32Array) return 'FP32'
  if (data instanceof BigInt64Array) return 'INT64'
  if (data instanceof Int32Array) return 'INT32'
  if (data instanceof Uint8Array) return 'BOOL'
  const first = data[0]
  return typeof first === 'number' ? (data.every((v) => Number.isInteger(v)) ? 'INT64' : 'FP64') : datatypeOf('object')
}

/**
 * One Open Inference Protocol output tensor, flat row-major; with `binarySize` its data follows the
 * JSON header in binary instead (the binary tensor extension).
 */
export function v2OutputJson(name: string, t: OutputTensor, binarySize?: number): string {
  const shape = t.dims.length === 0 ? [t.data.length] : t.dims
  const head = `{"name":${JSON.stringify(name)},"shape":[${shape.join(',')}],"datatype":"${datatypeOfData(t.data)}"`
  if (binarySize !== undefined) return `${head},"parameters":{"binary_data_size":${binarySize}}}`
  return `${head},"data":${numbersJson(t.data as ArrayLike<number>)}}`
}
