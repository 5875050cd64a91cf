import { badRequest } from '../errors.js'
import type { OutputTensor, Prediction } from '../models/index.js'
import { v2OutputJson } from './prediction-json.js'
import type { Reply } from './route.js'
import { writeBinaryTensor } from './v2-binary.js'
import type { V2Request } from './v2-request.js'

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

let lastPrefix: { readonly name: string; readonly version: string | undefined; readonly json: string } | undefined

/** `{"model_name":...,"model_version":...`, the same for every answer of a model version: written once. */
function answerPrefix(answer: V2Answer): string {
  if (lastPrefix?.name === answer.modelName && lastPrefix.version === answer.modelVersion) return lastPrefix.json
  const version = answer.modelVersion === undefined ? '' : `,"model_version":${JSON.stringify(answer.modelVersion)}`
  lastPrefix = { name: answer.modelName, version: answer.modelVersion, json: `{"model_name":${JSON.stringify(answer.modelName)}${version}` }
  return lastPrefix.json
}

/**
 * The inference response: JSON, or, when any output is asked for in binary, the JSON header then
 * each binary output's bytes in order, with its length in `Inference-Header-Content-Length`.
 */
export function v2InferReply(answer: V2Answer, request: V2Request, p: Prediction): Reply {
  const binaries: Buffer[] = []
  const parts = selectV2Outputs(request, p).map(({ name, tensor: t, isBinary }) => {
    if (!isBinary) return v2OutputJson(name, t)
    const bytes = writeBinaryTensor(t.data)
    binaries.push(bytes)
    return v2OutputJson(name, t, bytes.length)
  })
  const id = request.id === undefined ? '""' : JSON.stringify(request.id)
  const json = `${answerPrefix(answer)},"id":${id},"outputs":[${parts.join(',')}]}`
  if (binaries.length === 0) return { status: 200, contentType: 'application/json', body: json }
  // One allocation for the whole body: the header written into it, then each output's bytes.
  const headerLength = Buffer.byteLength(json, 'utf8')
  const body = Buffer.allocUnsafe(binaries.reduce((n, b) => n + b.length, headerLength))
  body.write(json, 0, headerLength, 'utf8')
  let at = headerLength
  for (const b of binaries) at += b.copy(body, at)
  return { status: 200, contentType: 'application/octet-stream', body, headers: ['inference-header-content-length', String(headerLength)] }
}
