import { badRequest } from '../errors.js'
import type { OutputTensor, Prediction } from '../models/index.js'
import { datatypeOfData, numbersJson, v2OutputJson } from './prediction-json.js'
import type { Reply } from './route.js'
import { binaryByteLength, binaryLatin1, writeBinaryTensor } from './v2-binary.js'
import type { V2Output, V2Request } from './v2-request.js'

export interface V2Answer {
  readonly modelName: string
  readonly modelVersion: string | undefined
}

/** The outputs to answer, in order: the ones asked for (each must exist), else every output. */
export function selectV2Outputs(request: V2Request, p: Prediction): { name: string; tensor: OutputTensor; isBinary: boolean }[] {
  const outputs = request.outputs ?? Object.keys(p.outputs).map((name) => ({ name, isBinary: request.isBinaryByDefault }))
  return outputs.map(({ name, isBinary }) => {
    const tensor = p.outputs[name]
    if (tensor === undefined) throw badRequest(`unknown output '${name.slice(0, 40)}'; the model has ${Object.keys(p.outputs).join(', ')}`)
    return { name, tensor, isBinary }
  })
}

/** The request's id echoed, `""` when it sent none: every answer carries an id. */
const idJson = (request: V2Request): string => (request.id === undefined ? '""' : JSON.stringify(request.id))

let lastPrefix: { readonly name: string; readonly version: string | undefined; readonly json: string } | undefined

/** `{"model_name":...,"model_version":...`, the same for every answer of a model version: written once. */
function answerPrefix(answer: V2Answer): string {
  if (lastPrefix?.name === answer.modelName && lastPrefix.version === answer.modelVersion) return lastPrefix.json
  const version = answer.modelVersion === undefined ? '' : `,"model_version":${JSON.stringify(answer.modelVersion)}`
  lastPrefix = { name: answer.modelName, version: answer.modelVersion, json: `{"model_name":${JSON.stringify(answer.modelName)}${version}` }
  return lastPrefix.json
}

/** One output as the last answer wrote it. */
interface LaidOut {
  readonly name: string
  readonly shape: readonly number[]
  readonly datatype: string
  readonly isBinary: boolean
}

/**
 * The last answer's JSON around its outputs' data, and what it was written for: the next answer
 * to a request of the same plan, whose outputs have the same names, shapes and datatypes, is the
 * same text with other numbers. Why: writing the outputs' descriptions and joining the parts cost
 * a one-row answer more than its numbers.
 */
interface Layout {
  readonly requested: readonly V2Output[] | undefined
  readonly isBinaryByDefault: boolean
  readonly id: string | undefined
  readonly prefix: string
  readonly outputs: readonly LaidOut[]
  /** The text before each JSON output's data, then the text after the last. */
  readonly pieces: readonly string[]
  /** Only ASCII in the JSON: its byte length is its length, and it can share a latin1 string with binary data. */
  readonly isAscii: boolean
}

let lastLayout: Layout | undefined

const shapeOf = (t: OutputTensor): readonly number[] => (t.dims.length === 0 ? [t.data.length] : t.dims)

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Whether `layout` writes this answer: same request plan, same outputs in the same order, same shapes and datatypes. */
function fits(layout: Layout, prefix: string, request: V2Request, p: Prediction): boolean {
  if (layout.requested !== request.outputs || layout.isBinaryByDefault !== request.isBinaryByDefault || layout.id !== request.id || layout.prefix !== prefix)
    return false
  const outputs = layout.outputs
  if (request.outputs === undefined) {
    // Every output, in the prediction's order.
    let n = 0
    for (const name in p.outputs) if (outputs[n++]?.name !== name) return false
    if (n !== outputs.length) return false
  }
  for (const o of outputs) {
    const t = p.outputs[o.name]
    if (t === undefined || !sameShape(shapeOf(t), o.shape) || datatypeOfData(t.data) !== o.datatype) return false
  }
  return true
}

/** Undefined when a binary output's size depends on its values (BYTES): such answers are written whole each time. */
function layOut(prefix: string, request: V2Request, p: Prediction): Layout | undefined {
  const outputs = selectV2Outputs(request, p).map(({ name, tensor, isBinary }) => ({
    name,
    shape: shapeOf(tensor),
    datatype: datatypeOfData(tensor.data),
    isBinary,
    tensor,
  }))
  if (outputs.some((o) => o.isBinary && binaryByteLength(o.tensor.data) === undefined)) return undefined
  const pieces: string[] = []
  let text = `${prefix},"id":${idJson(request)},"outputs":[`
  outputs.forEach(({ name, tensor, isBinary }, i) => {
    if (i > 0) text += ','
    if (isBinary) text += v2OutputJson(name, tensor, binaryByteLength(tensor.data)!)
    else {
      const json = v2OutputJson(name, tensor)
      // The description, then `"data":` up to where the numbers go; the data array is the last member.
      const cut = json.lastIndexOf(',"data":') + ',"data":'.length
      pieces.push(text + json.slice(0, cut))
      text = json.slice(cut + numbersJson(tensor.data as ArrayLike<number>).length)
    }
  })
  pieces.push(`${text}]}`)
  const isAscii = pieces.every((piece) => Buffer.byteLength(piece, 'utf8') === piece.length)
  const laidOut = outputs.map(({ name, shape, datatype, isBinary }) => ({ name, shape: [...shape], datatype, isBinary }))
  return { requested: request.outputs, isBinaryByDefault: request.isBinaryByDefault, id: request.id, prefix, outputs: laidOut, pieces, isAscii }
}

/**
 * The inference response: JSON, or, when any output is asked for in binary, the JSON header then
 * each binary output's bytes in order, with its length in `Inference-Header-Content-Length`.
 */
export function v2InferReply(answer: V2Answer, request: V2Request, p: Prediction): Reply {
  const prefix = answerPrefix(answer)
  const layout = lastLayout !== undefined && fits(lastLayout, prefix, request, p) ? lastLayout : layOut(prefix, request, p)
  if (layout === undefined) return wholeReply(prefix, request, p)
  lastLayout = layout
  const { pieces, outputs } = layout
  let json = pieces[0]!
  let isBinary = false
  let latin1 = ''
  const buffers: Buffer[] = []
  for (let i = 0, piece = 1; i < outputs.length; i++) {
    const data = p.outputs[outputs[i]!.name]!.data
    if (!outputs[i]!.isBinary) json += numbersJson(data as ArrayLike<number>) + pieces[piece++]!
    else {
      isBinary = true
      if (layout.isAscii) latin1 += binaryLatin1(data)
      else buffers.push(writeBinaryTensor(data))
    }
  }
  if (!isBinary) return { status: 200, contentType: 'application/json', body: json }
  if (layout.isAscii)
    // One latin1 string, one character a byte: node writes it after the response head in one piece.
    return {
      status: 200,
      contentType: 'application/octet-stream',
      body: json + latin1,
      encoding: 'latin1',
      headers: ['inference-header-content-length', String(json.length)],
    }
  return binaryReply(json, buffers)
}

/** An answer written whole: each output's description and data, then the binary outputs' bytes. */
function wholeReply(prefix: string, request: V2Request, p: Prediction): Reply {
  const binaries: Buffer[] = []
  const parts = selectV2Outputs(request, p).map(({ name, tensor: t, isBinary }) => {
    if (!isBinary) return v2OutputJson(name, t)
    const bytes = writeBinaryTensor(t.data)
    binaries.push(bytes)
    return v2OutputJson(name, t, bytes.length)
  })
  const json = `${prefix},"id":${idJson(request)},"outputs":[${parts.join(',')}]}`
  if (binaries.length === 0) return { status: 200, contentType: 'application/json', body: json }
  return binaryReply(json, binaries)
}

/** The JSON header's UTF-8 bytes, then each binary output's, in one allocation. */
function binaryReply(json: string, binaries: readonly Buffer[]): Reply {
  const headerLength = Buffer.byteLength(json, 'utf8')
  const body = Buffer.allocUnsafe(binaries.reduce((n, b) => n + b.length, headerLength))
  body.write(json, 0, headerLength, 'utf8')
  let at = headerLength
  for (const b of binaries) at += b.copy(body, at)
  return { status: 200, contentType: 'application/octet-stream', body, headers: ['inference-header-content-length', String(headerLength)] }
}
