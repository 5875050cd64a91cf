import type { IncomingHttpHeaders } from 'node:http'
import { badRequest, MlflowError } from '../errors.js'
import { parseJsonBody } from './model-request.js'
import { flatten } from './tensor-input.js'
import { DoubleScratch, readBinaryTensor } from './v2-binary.js'
import { checkJsonValues, v2DatatypeOf, type V2Datatype } from './v2-datatype.js'
import { bytesAt } from './json-bytes.js'
import { V2JsonReader } from './v2-json-fast.js'

/** One input tensor of an inference request, its values read (from JSON or binary) and checked against its datatype and shape. */
export interface V2Input {
  readonly name: string
  readonly datatype: V2Datatype
  readonly shape: readonly number[]
  /**
   * Row-major, `product(shape)` values: numbers for numeric datatypes, booleans for BOOL, strings
   * for BYTES. FP64 values may be a view of the request body, of the fast reader's memory or of the
   * binary reader's scratch, valid until the next request is read: modelRequestFromV2 copies them
   * out before anything else runs.
   */
  readonly values: ArrayLike<unknown>
}

export interface V2Output {
  readonly name: string
  readonly isBinary: boolean
}

export interface V2Request {
  readonly id: string | undefined
  readonly inputs: readonly V2Input[]
  /** The outputs asked for, in order; undefined for all of them. */
  readonly outputs: readonly V2Output[] | undefined
  /** `parameters.binary_data_output`: every output not listed (all, when none are) comes back binary. */
  readonly isBinaryByDefault: boolean
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
const clip = (s: string) => s.slice(0, 40)
const mediaTypes = 'application/json, application/octet-stream (binary tensor extension) or none'

/**
 * V2 clients differ in the Content-Type they send: tritonclient sends none (JSON or binary alike),
 * KServe's client `application/octet-stream` with binary data. A request without one is safe to
 * accept here: a browser's cross-site POST carries an Origin, which the host guard checks first.
 */
function checkMediaType(headers: IncomingHttpHeaders): void {
  const type = headers['content-type']
  // The two types clients send, as they send them, without splitting the header (every request).
  const isPlain = type === undefined || type === 'application/json' || type === 'application/octet-stream'
  if (!isPlain) {
    const [essence, ...params] = type.toLowerCase().split(';')
    const t = essence!.trim()
    const isCharsetOnly = params.every((p) => p.trim().replace(/"/g, '') === 'charset=utf-8')
    if (!((t === 'application/json' || t === 'application/octet-stream') && isCharsetOnly))
      throw new MlflowError('UNSUPPORTED_MEDIA_TYPE', `V2 inference takes ${mediaTypes}.`)
  }
  const encoding = headers['content-encoding']
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity')
    throw new MlflowError('UNSUPPORTED_MEDIA_TYPE', 'compressed request bodies (Content-Encoding) are not accepted; send the body uncompressed')
}

/** 1 to 12 ASCII digits, as clients send the header: checked without a regular expression (every binary request). */
function isDigits(text: string): boolean {
  if (text.length === 0 || text.length > 12) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return false
  }
  return true
}

/**
 * Where the binary data starts: after the JSON header of `Inference-Header-Content-Length` bytes;
 * -1 for a request without that header (all JSON). Positions, not subarrays: a Buffer view costs
 * more to make than a one-row request's binary read.
 */
function binaryStart(body: Buffer, header: string | string[] | undefined): number {
  if (header === undefined) return -1
  const text = Array.isArray(header) ? header[0]! : header
  // Clients send bare digits; optional whitespace around a header value is not part of it (RFC 9110 §5.5).
  const digits = isDigits(text) ? text : text.trim()
  const length = isDigits(digits) ? Number(digits) : Number.NaN
  if (!(length > 0 && length <= body.length))
    throw badRequest(`Inference-Header-Content-Length must be the size of the JSON header, between 1 and the body's ${body.length} bytes`)
  return length
}

function readShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw badRequest(`input '${clip(name)}' needs a 'shape', a list of non-negative integers`)
  return shape as number[]
}

/** What a request's JSON says about one input, checked once per document; `binarySize` for binary data, `values` for JSON data JSON.parse read. */
interface InputPlan {
  readonly name: string
  readonly datatype: V2Datatype
  readonly shape: readonly number[]
  readonly count: number
  readonly binarySize: number | undefined
  readonly values: ArrayLike<unknown> | undefined
}

/** Checks each input's description; binary ones must come with the header that says where their bytes start. */
function planInputs(raw: unknown, hasBinary: boolean, fast: ReadonlyMap<number, Float64Array> | undefined): InputPlan[] {
  if (!Array.isArray(raw) || raw.length === 0) throw badRequest("'inputs' must be a non-empty list of tensors")
  const seen = new Set<string>()
  return raw.map((tensor, i): InputPlan => {
    if (!isObject(tensor)) throw badRequest(`input ${i} must be an object with name, shape, datatype and data`)
    const name = tensor['name']
    if (typeof name !== 'string' || name === '') throw badRequest(`input ${i} needs a 'name'`)
    if (seen.has(name)) throw badRequest(`input '${clip(name)}' is given twice`)
    seen.add(name)
    const datatype = v2DatatypeOf(tensor['datatype'], clip(name))
    const shape = readShape(name, tensor['shape'])
    const count = shape.reduce((a, b) => a * b, 1)
    const parameters = isObject(tensor['parameters']) ? tensor['parameters'] : {}
    const size = parameters['binary_data_size']
    if (size !== undefined) {
      if (tensor['data'] !== undefined) throw badRequest(`input '${clip(name)}' has both 'data' and binary_data_size; send one`)
      if (!Number.isSafeInteger(size) || (size as number) < 0) throw badRequest(`input '${clip(name)}': binary_data_size must be a non-negative integer`)
      if (!hasBinary) throw badRequest(`input '${clip(name)}' has binary_data_size, but the request has no Inference-Header-Content-Length header`)
      return { name, datatype, shape, count, binarySize: size as number, values: undefined }
    }
    if (tensor['data'] === undefined) throw badRequest(`input '${clip(name)}' needs 'data' (or binary_data_size with binary data)`)
    if (fast?.has(i)) return { name, datatype, shape, count, binarySize: undefined, values: undefined }
    const flat = flatten(clip(name), tensor['data']).data
    if (flat.length !== count) throw badRequest(`input '${clip(name)}' has ${flat.length} values, but shape [${shape}] needs ${count}`)
    checkJsonValues(clip(name), datatype, flat)
    return { name, datatype, shape, count, binarySize: undefined, values: flat }
  })
}

/** Each input's values: binary ones take their `binary_data_size` bytes from the data after the header (from `binaryAt`), in order. */
function readInputs(plans: readonly InputPlan[], body: Buffer, binaryAt: number, fast: ReadonlyMap<number, Float64Array> | undefined): V2Input[] {
  let at = binaryAt
  if (binaryAt >= 0) doubleScratch.reset()
  // A loop, not map: no closure made per request.
  const inputs = new Array<V2Input>(plans.length)
  for (let i = 0; i < plans.length; i++) {
    const { name, datatype, shape, count, binarySize, values } = plans[i]!
    if (binarySize !== undefined) {
      const end = at + binarySize
      if (end > body.length)
        throw badRequest(`input '${clip(name)}' needs ${binarySize} bytes of binary data, but only ${body.length - at} are left in the body`)
      const read = readBinaryTensor(clip(name), datatype, body.subarray(at, end), count, doubleScratch)
      at = end
      inputs[i] = { name, datatype, shape, values: read }
    } else if (values !== undefined) inputs[i] = { name, datatype, shape, values }
    else {
      // Read by v2-json-fast.ts: finite numbers only (no null, nothing past a double), which is all FP32/FP64 checks.
      const numbers = fast!.get(i)!
      if (numbers.length !== count) throw badRequest(`input '${clip(name)}' has ${numbers.length} values, but shape [${shape}] needs ${count}`)
      inputs[i] = { name, datatype, shape, values: numbers }
    }
  }
  if (binaryAt >= 0 && at !== body.length)
    throw badRequest(`the body has ${body.length - at} bytes after the binary inputs that no input's binary_data_size accounts for`)
  return inputs
}

/** Short unaligned FP64 inputs are copied here, one request at a time (see DoubleScratch). */
const doubleScratch = new DoubleScratch()

function readOutputs(raw: unknown, isBinaryByDefault: boolean): V2Output[] | undefined {
  if (raw === undefined) return undefined
  if (!Array.isArray(raw) || !raw.every((o) => isObject(o) && typeof o['name'] === 'string'))
    throw badRequest("'outputs' must be a list of {name, parameters?}")
  return (raw as Record<string, unknown>[]).map((o) => {
    const parameters = isObject(o['parameters']) ? o['parameters'] : {}
    if (parameters['classification'] !== undefined)
      throw badRequest(`output '${clip(o['name'] as string)}': the classification extension is not supported; ask for the output itself`)
    const binary = parameters['binary_data']
    if (binary !== undefined && typeof binary !== 'boolean') throw badRequest(`output '${clip(o['name'] as string)}': binary_data must be true or false`)
    return { name: o['name'] as string, isBinary: binary ?? isBinaryByDefault }
  })
}

let fastReader: V2JsonReader | undefined

/**
 * The last binary request's JSON header and its parse: a client sends the same header (names,
 * shapes, datatypes, sizes) with every request of a shape, so equal bytes reuse the document,
 * which the readers here only read.
 */
/** A header with inline data too can be large: only small ones are kept. */
const MAX_CACHED_HEADER = 4096
let lastHeader: { readonly bytes: Buffer; readonly doc: unknown } | undefined

/** The JSON header, the body's first `length` bytes. */
function parseHeader(body: Buffer, length: number): unknown {
  if (lastHeader !== undefined && lastHeader.bytes.length === length && bytesAt(body, 0, lastHeader.bytes)) return lastHeader.doc
  const doc = parseJsonBody(body.toString('utf8', 0, length))
  if (length <= MAX_CACHED_HEADER) lastHeader = { bytes: Buffer.from(body.subarray(0, length)), doc }
  return doc
}

/** Float datatypes, whose JSON `data` the fast reader may read (integers keep JSON.parse's checks and messages). */
const isFloatTensor = (doc: unknown, index: number) => {
  const datatype = ((doc as { inputs: Record<string, unknown>[] }).inputs[index] as Record<string, unknown>)['datatype']
  return datatype === 'FP64' || datatype === 'FP32'
}

function fastInputsAreFloat(doc: unknown, data: ReadonlyMap<number, Float64Array>): boolean {
  for (const i of data.keys()) if (!isFloatTensor(doc, i)) return false
  return true
}

/**
 * The JSON document — the whole body, or its first `binaryAt` bytes when binary data follows — and
 * the inputs' numeric data read by the fast reader when `isFast` (a JSON body within its subset
 * whose fast-read inputs are all FP32/FP64), else by JSON.parse alone.
 */
function readDocument(body: Buffer, binaryAt: number, isFast: boolean): { doc: unknown; fast: ReadonlyMap<number, Float64Array> | undefined } {
  if (binaryAt >= 0) return { doc: isFast ? parseHeader(body, binaryAt) : parseJsonBody(body.toString('utf8', 0, binaryAt)), fast: undefined }
  if (isFast) {
    fastReader ??= new V2JsonReader()
    const read = fastReader.read(body)
    if (read && fastInputsAreFloat(read.doc, read.data)) return { doc: read.doc, fast: read.data }
  }
  return { doc: parseJsonBody(body.toString('utf8')), fast: undefined }
}

/**
 * Reads a V2 inference request, JSON or with binary tensors, checking everything a client can get
 * wrong. `isFast: false` reads JSON with JSON.parse only (the tests compare both ways).
 */
export function readV2Request(body: Buffer, headers: IncomingHttpHeaders, isFast = true): V2Request {
  checkMediaType(headers)
  const binaryAt = binaryStart(body, headers['inference-header-content-length'])
  const { doc, fast } = readDocument(body, binaryAt, isFast)
  const plan = lastPlan !== undefined && isPlanOf(lastPlan, doc, fast) ? lastPlan : planRequest(doc, binaryAt >= 0, fast)
  return { id: plan.id, inputs: readInputs(plan.inputs, body, binaryAt, fast), outputs: plan.outputs, isBinaryByDefault: plan.isBinaryByDefault }
}

/** Everything a request's document says, checked; the values are read per request. */
interface RequestPlan {
  readonly doc: unknown
  readonly id: string | undefined
  readonly inputs: readonly InputPlan[]
  readonly outputs: readonly V2Output[] | undefined
  readonly isBinaryByDefault: boolean
}

/**
 * The plan of the last request whose document the readers cached (the same header bytes, or the
 * same JSON around the data arrays, give the same document object): the next request with that
 * document skips checking it again, which cost a one-row request more than reading its numbers.
 * A cached document comes from one mode only (binary header or JSON body), so `hasBinary` and
 * which inputs were fast-read are the same for every request that finds it here.
 */
let lastPlan: RequestPlan | undefined

/**
 * Whether `plan` was made from `doc` with the same inputs fast-read: one JSON skeleton can come
 * from bodies whose arrays sit in different inputs (a literal `0` where the other had an array).
 */
function isPlanOf(plan: RequestPlan, doc: unknown, fast: ReadonlyMap<number, Float64Array> | undefined): boolean {
  if (plan.doc !== doc) return false
  for (let i = 0; i < plan.inputs.length; i++) {
    const p = plan.inputs[i]!
    if ((p.binarySize === undefined && p.values === undefined) !== (fast?.has(i) ?? false)) return false
  }
  return true
}

function planRequest(doc: unknown, hasBinary: boolean, fast: ReadonlyMap<number, Float64Array> | undefined): RequestPlan {
  if (!isObject(doc)) throw badRequest('the inference request must be a JSON object with an inputs list')
  const id = doc['id']
  if (id !== undefined && typeof id !== 'string') throw badRequest("'id' must be a string")
  const parameters = doc['parameters'] === undefined ? {} : doc['parameters']
  if (!isObject(parameters)) throw badRequest("'parameters' must be an object")
  const byDefault = parameters['binary_data_output']
  if (byDefault !== undefined && typeof byDefault !== 'boolean') throw badRequest('binary_data_output must be true or false')
  const inputs = planInputs(doc['inputs'], hasBinary, fast)
  const plan = { doc, id, inputs, outputs: readOutputs(doc['outputs'], byDefault === true), isBinaryByDefault: byDefault === true }
  if (doc === lastHeader?.doc || fastReader?.holds(doc)) lastPlan = plan
  return plan
}
