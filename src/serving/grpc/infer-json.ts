import { readBinaryTensor } from '../v2-binary.js'
import { v2DatatypeOf } from '../v2-datatype.js'
import { v2RequestFromGrpc } from './grpc-request.js'
import { inferenceRpcs, toPlain } from './inference-proto.js'

type Plain = Record<string, unknown>

/** One message of a gRPC body (a unary call has one): undefined when compressed or cut short. */
function onlyMessage(body: Buffer): Buffer | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined
  const length = body.readUInt32BE(1)
  return body.length === 5 + length ? body.subarray(5) : undefined
}

/**
 * A ModelInfer call as the KServe V2 JSON that the same call over HTTP would have carried
 * (`{"inputs": [{"name", "datatype", "shape", "data"}]}` and `{"outputs": [...]}`), so monitoring
 * reads gRPC calls as it reads REST ones (one named input per column gives rows). `request` and
 * `response` are the calls' HTTP/2 bodies (length-prefixed messages); undefined when either cannot
 * be read (compressed, not a ModelInfer message), and the call is then left out of monitoring.
 */
export function inferCallAsJson(request: Buffer, response: Buffer): { request: Plain; response: Plain; version: string } | undefined {
  const [requestType, responseType] = inferenceRpcs.ModelInfer
  const requestMessage = onlyMessage(request)
  const responseMessage = onlyMessage(response)
  if (requestMessage === undefined || responseMessage === undefined) return undefined
  try {
    const v2 = v2RequestFromGrpc(toPlain(requestType, requestType.decode(requestMessage)))
    const answer = toPlain(responseType, responseType.decode(responseMessage))
    const raw = (answer['rawOutputContents'] as Uint8Array[] | undefined) ?? []
    const outputs = ((answer['outputs'] as Plain[] | undefined) ?? []).map((o, i) => {
      const shape = ((o['shape'] as unknown[] | undefined) ?? []).map(Number)
      const datatype = v2DatatypeOf(o['datatype'], String(o['name']))
      const count = shape.reduce((a, b) => a * b, 1)
      const data = raw[i] === undefined ? [] : Array.from(readBinaryTensor(String(o['name']), datatype, Buffer.from(raw[i]!), count) as ArrayLike<unknown>)
      return { name: o['name'], datatype, shape, data }
    })
    return {
      request: {
        ...(v2.id ? { id: v2.id } : {}),
        inputs: v2.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape, data: Array.from(i.values as ArrayLike<unknown>) })),
      },
      response: { model_name: answer['modelName'], model_version: answer['modelVersion'], ...(answer['id'] ? { id: answer['id'] } : {}), outputs },
      version: String(answer['modelVersion'] ?? ''),
    }
  } catch {
    return undefined
  }
}
