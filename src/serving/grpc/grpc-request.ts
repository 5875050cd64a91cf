import { badRequest } from '../../errors.js'
import { readBinaryTensor } from '../v2-binary.js'
import { checkJsonValues, v2DatatypeOf, type V2Datatype } from '../v2-datatype.js'
import type { V2Input, V2Request } from '../v2-request.js'

/** The `InferTensorContents` field that carries each datatype (the spec's comments on each field). */
const contentsField: Readonly<Record<V2Datatype, string | undefined>> = {
  BOOL: 'boolContents',
  INT8: 'intContents',
  INT16: 'intContents',
  INT32: 'intContents',
  INT64: 'int64Contents',
  UINT8: 'uintContents',
  UINT16: 'uintContents',
  UINT32: 'uintContents',
  UINT64: 'uint64Contents',
  FP32: 'fp32Contents',
  FP64: 'fp64Contents',
  BYTES: 'bytesContents',
  // No typed field exists for 16-bit floats: the spec requires raw contents for them.
  FP16: undefined,
  BF16: undefined,
}
const allFields = ['boolContents', 'intContents', 'int64Contents', 'uintContents', 'uint64Contents', 'fp32Contents', 'fp64Contents', 'bytesContents']

type Plain = Record<string, unknown>
const clip = (s: string) => s.slice(0, 40)

/** int64 fields arrive as decimal strings (toPlain's longs: String) so that nothing past 2^53 is rounded unseen. */
function safeInteger(value: unknown, what: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw badRequest(`${what} holds ${String(value).slice(0, 24)}, beyond the 2^53 that serving keeps exact`)
  return n
}

function typedValues(name: string, datatype: V2Datatype, contents: Plain | null | undefined, count: number): unknown[] {
  const field = contentsField[datatype]
  if (field === undefined) throw badRequest(`input '${name}' is ${datatype}, which has no typed contents field; send it in raw_input_contents`)
  for (const other of allFields) {
    const values = contents?.[other] as unknown[] | undefined
    if (other !== field && values !== undefined && values.length > 0) throw badRequest(`input '${name}' is ${datatype}, but its contents are in ${other}`)
  }
  const given = (contents?.[field] as unknown[] | undefined) ?? []
  if (given.length !== count) throw badRequest(`input '${name}' has ${given.length} values in ${field}, but its shape needs ${count}`)
  if (datatype === 'BYTES') return given.map((b) => Buffer.from(b as Uint8Array).toString('utf8'))
  if (datatype === 'INT64' || datatype === 'UINT64') return given.map((v, i) => safeInteger(v, `input '${name}' at flat index ${i}`))
  return given
}

/**
 * A gRPC ModelInferRequest (as plain values) as the same V2Request the HTTP path reads: raw contents
 * go through the binary tensor reader, typed contents through the JSON value checks.
 */
export function v2RequestFromGrpc(message: Plain): V2Request {
  const rawInputs = (message['inputs'] as Plain[] | undefined) ?? []
  if (rawInputs.length === 0) throw badRequest("'inputs' must be a non-empty list of tensors")
  const raw = (message['rawInputContents'] as Uint8Array[] | undefined) ?? []
  if (raw.length > 0 && raw.length !== rawInputs.length)
    throw badRequest(`raw_input_contents has ${raw.length} entries, but there are ${rawInputs.length} inputs; give one per input, in order`)
  const seen = new Set<string>()
  const inputs = rawInputs.map((tensor, i): V2Input => {
    const name = String(tensor['name'] ?? '')
    if (name === '') throw badRequest(`input ${i} needs a 'name'`)
    if (seen.has(name)) throw badRequest(`input '${clip(name)}' is given twice`)
    seen.add(name)
    const datatype = v2DatatypeOf(tensor['datatype'], clip(name))
    const shape = ((tensor['shape'] as unknown[] | undefined) ?? []).map((d) => safeInteger(d, `input '${clip(name)}' shape`))
    if (shape.some((d) => d < 0)) throw badRequest(`input '${clip(name)}' needs a 'shape' of non-negative integers`)
    const count = shape.reduce((a, b) => a * b, 1)
    const contents = tensor['contents'] as Plain | null | undefined
    if (raw.length > 0) {
      if (contents !== null && contents !== undefined && allFields.some((f) => ((contents[f] as unknown[] | undefined) ?? []).length > 0))
        throw badRequest(`input '${clip(name)}' has typed contents, but the request uses raw_input_contents; send one or the other`)
      return { name, datatype, shape, values: readBinaryTensor(clip(name), datatype, Buffer.from(raw[i]!), count) }
    }
    const values = typedValues(clip(name), datatype, contents, count)
    checkJsonValues(clip(name), datatype, values)
    return { name, datatype, shape, values }
  })
  const outputs = (message['outputs'] as Plain[] | undefined) ?? []
  const id = String(message['id'] ?? '')
  return {
    id: id === '' ? undefined : id,
    inputs,
    outputs: outputs.length === 0 ? undefined : outputs.map((o) => ({ name: String(o['name'] ?? ''), isBinary: true })),
    isBinaryByDefault: true,
  }
}
