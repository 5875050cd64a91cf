import type { TensorSpec } from '../models/index.js'
import { badRequest } from '../errors.js'

/** One named input tensor as a signature declares it: numpy dtype, shape with -1 for any size. */
export interface TensorInfo {
  readonly name: string
  readonly dtype: string
  readonly shape: readonly number[]
}

export interface Tensor {
  readonly data: unknown[]
  readonly dims: number[]
}

/** numpy dtype ↔ Open Inference Protocol datatype (docs/protocols.md §7.1). */
const datatypeByDtype: Readonly<Record<string, string>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  object: 'BYTES',
  str: 'BYTES',
}
export const datatypeOf = (dtype: string): string => datatypeByDtype[dtype] ?? 'BYTES'

const maxRank = 8

export function tensorInfos(specs: readonly TensorSpec[]): TensorInfo[] {
  return specs.map((s, i) => ({ name: s.name ?? `input-${i}`, dtype: s['tensor-spec'].dtype, shape: [...s['tensor-spec'].shape] }))
}

/** Flattens a nested JSON array row-major, inferring its shape; refuses ragged or too-deep input. */
export function flatten(name: string, value: unknown): Tensor {
  const dims: number[] = []
  let probe: unknown = value
  while (Array.isArray(probe)) {
    if (dims.length === maxRank) throw badRequest(`tensor '${name}' has more than ${maxRank} dimensions`)
    dims.push(probe.length)
    probe = probe[0]
  }
  const data: unknown[] = []
  const walk = (v: unknown, depth: number): void => {
    if (depth === dims.length) {
      if (Array.isArray(v)) throw badRequest(`tensor '${name}' is ragged: nesting deeper than its first element`)
      data.push(v)
      return
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) throw badRequest(`tensor '${name}' is ragged: dimension ${depth} should have ${dims[depth]} entries`)
    for (const x of v) walk(x, depth + 1)
  }
  walk(value, 0)
  return { data, dims }
}

/** Checks a tensor against its declared dtype and shape; -1 matches any size. */
export function checkTensor(info: TensorInfo, t: Tensor): Tensor {
  if (t.dims.length === info.shape.length - 1 && info.shape[0] === -1) t = { data: t.data, dims: [1, ...t.dims] } // one example without its batch axis
  if (t.dims.length !== info.shape.length) throw badRequest(`tensor '${info.name}' must have shape [${info.shape}], got [${t.dims}]`)
  t.dims.forEach((d, k) => {
    if (info.shape[k] !== -1 && info.shape[k] !== d) throw badRequest(`tensor '${info.name}' must have shape [${info.shape}], got [${t.dims}]`)
  })
  if ((t.dims[0] ?? 1) === 0) throw badRequest(`tensor '${info.name}' has no rows (empty batch)`)
  const numeric = info.dtype !== 'object' && info.dtype !== 'str' && info.dtype !== 'bool'
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]
    // A number too large for a double arrives as Infinity (JSON has no other way to write one).
    if (v === Infinity || v === -Infinity) throw badRequest(`tensor '${info.name}' has a number that overflows a double at flat index ${i}`)
    const ok = numeric
      ? typeof v === 'number' && (!info.dtype.includes('int') || Number.isInteger(v))
      : info.dtype === 'bool'
        ? typeof v === 'boolean'
        : typeof v === 'string'
    if (!ok) throw badRequest(`tensor '${info.name}' expects ${info.dtype}, got ${v === null ? 'null' : typeof v} at flat index ${i}`)
  }
  return t
}

/** Named tensors for a tensor-signature model, from MLflow `inputs` (array or object) or `instances`. */
export function tensorsFromJson(infos: readonly TensorInfo[], value: unknown): Record<string, Tensor> {
  if (Array.isArray(value)) {
    if (infos.length !== 1) throw badRequest(`the model takes ${infos.length} named tensors (${infos.map((i) => i.name).join(', ')}); send an object`)
    return { [infos[0]!.name]: checkTensor(infos[0]!, flatten(infos[0]!.name, value)) }
  }
  if (value === null || typeof value !== 'object') throw badRequest('tensor input must be an array or an object of named arrays')
  const given = value as Record<string, unknown>
  const out: Record<string, Tensor> = {}
  for (const key of Object.keys(given)) {
    if (!infos.some((i) => i.name === key)) throw badRequest(`unexpected tensor '${key.slice(0, 40)}'; the model takes ${infos.map((i) => i.name).join(', ')}`)
  }
  for (const info of infos) {
    if (!Object.hasOwn(given, info.name)) throw badRequest(`missing tensor '${info.name}'`)
    out[info.name] = checkTensor(info, flatten(info.name, given[info.name]))
  }
  return out
}
