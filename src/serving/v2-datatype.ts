import { badRequest } from '../errors.js'

/**
 * The Open Inference Protocol's tensor datatypes (KServe V2 spec, "Tensor Data Types"), plus BF16
 * that Triton and its clients also send. `bytes` is the size of one element in the binary tensor
 * extension; BYTES elements carry their own 4-byte length instead.
 */
export type V2Datatype = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'BF16' | 'FP32' | 'FP64' | 'BYTES'

/** What a datatype's values are once read: what a model column or tensor of some dtype can take. */
export type DatatypeKind = 'bool' | 'integer' | 'float' | 'bytes'

interface DatatypeRow {
  readonly kind: DatatypeKind
  readonly bytes: number
  /** Integer datatypes: the range a value must be in (JSON carries any number). */
  readonly min?: number
  readonly max?: number
}

const table: Readonly<Record<V2Datatype, DatatypeRow>> = {
  BOOL: { kind: 'bool', bytes: 1 },
  UINT8: { kind: 'integer', bytes: 1, min: 0, max: 255 },
  UINT16: { kind: 'integer', bytes: 2, min: 0, max: 65535 },
  UINT32: { kind: 'integer', bytes: 4, min: 0, max: 4294967295 },
  // 64-bit integers are read as doubles: values past 2^53 are refused rather than rounded (see readUint64).
  UINT64: { kind: 'integer', bytes: 8, min: 0, max: Number.MAX_SAFE_INTEGER },
  INT8: { kind: 'integer', bytes: 1, min: -128, max: 127 },
  INT16: { kind: 'integer', bytes: 2, min: -32768, max: 32767 },
  INT32: { kind: 'integer', bytes: 4, min: -2147483648, max: 2147483647 },
  INT64: { kind: 'integer', bytes: 8, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  FP16: { kind: 'float', bytes: 2 },
  BF16: { kind: 'float', bytes: 2 },
  FP32: { kind: 'float', bytes: 4 },
  FP64: { kind: 'float', bytes: 8 },
  BYTES: { kind: 'bytes', bytes: 0 },
}

export const v2Datatypes = Object.keys(table) as V2Datatype[]

/** The datatype an input names, or a 400 that names what was sent and lists what is accepted. */
export function v2DatatypeOf(value: unknown, input: string): V2Datatype {
  if (typeof value !== 'string') throw badRequest(`input '${input}' needs a 'datatype' (one of ${v2Datatypes.join(', ')})`)
  if (!Object.hasOwn(table, value)) throw badRequest(`input '${input}' has datatype '${value.slice(0, 20)}', which is not one of ${v2Datatypes.join(', ')}`)
  return value as V2Datatype
}

export const kindOfDatatype = (datatype: V2Datatype): DatatypeKind => table[datatype].kind
export const elementBytes = (datatype: V2Datatype): number => table[datatype].bytes

/**
 * Checks JSON tensor values against their declared datatype: booleans for BOOL, strings for BYTES,
 * in-range integers for the integer types, numbers for the floating ones.
 */
export function checkJsonValues(input: string, datatype: V2Datatype, values: readonly unknown[]): void {
  const row = table[datatype]
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    const ok =
      row.kind === 'float'
        ? typeof v === 'number' && Number.isFinite(v)
        : row.kind === 'integer'
          ? typeof v === 'number' && Number.isInteger(v) && v >= row.min! && v <= row.max!
          : row.kind === 'bool'
            ? typeof v === 'boolean'
            : typeof v === 'string'
    if (!ok) throw badRequest(`input '${input}' is ${datatype}, but flat index ${i} holds ${describe(v)}${rangeNote(row, v)}`)
  }
}

const describe = (v: unknown): string => {
  if (v === null) return 'null'
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : 'a number that overflows a double'
  if (typeof v === 'string') return 'a string'
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`
}
const rangeNote = (row: DatatypeRow, v: unknown) =>
  row.kind === 'integer' && typeof v === 'number' && Number.isInteger(v) ? ` (outside ${row.min}..${row.max})` : ''
