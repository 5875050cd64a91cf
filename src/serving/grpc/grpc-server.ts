import type * as grpc from '@grpc/grpc-js'
import { MlflowError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { InputError } from '../../models/index.js'
import { version } from '../../version.js'
import type { ApiKeys } from '../api-keys.js'
import type { ServingMetrics } from '../metrics.js'
import { runRequest } from '../model-request.js'
import type { ModelEntry, ModelSlot } from '../model-slot.js'
import { datatypeOfData } from '../prediction-json.js'
import { writeBinaryTensor } from '../v2-binary.js'
import { v2ModelMetadata } from '../v2-metadata.js'
import { modelRequestFromV2 } from '../v2-model-input.js'
import { selectV2Outputs } from '../v2-response.js'
import { v2RequestFromGrpc } from './grpc-request.js'
import { inferenceRpcs, inferenceServicePath, toPlain, type InferenceRpc } from './inference-proto.js'

export interface GrpcServingOptions {
  readonly slot: ModelSlot
  readonly keys: ApiKeys
  readonly logger: Logger
  readonly host: string
  readonly port: number
  readonly maxMessageBytes: number
  /** The HTTP routes' counters: each call counts under its method path, with the HTTP status its outcome has there. */
  readonly metrics?: ServingMetrics | undefined
}

export interface GrpcServing {
  /** `host:port` as bound. */
  readonly address: string
  readonly port: number
  /** Stops taking calls, lets running ones finish (up to timeoutMs), then cancels the rest. */
  drain(timeoutMs: number): Promise<void>
}

/**
 * gRPC status codes (grpc/doc/statuscodes.md), as numbers: the values of grpc-js's `status` enum,
 * which this module only imports when a server starts (the CLI bundle would otherwise load grpc-js
 * for every command).
 */
const code = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
}

/** The same statuses the HTTP side answers, as gRPC codes. */
const codeByStatus: Readonly<Record<number, number>> = {
  400: code.INVALID_ARGUMENT,
  401: code.UNAUTHENTICATED,
  403: code.PERMISSION_DENIED,
  404: code.NOT_FOUND,
  413: code.RESOURCE_EXHAUSTED,
  415: code.INVALID_ARGUMENT,
  429: code.RESOURCE_EXHAUSTED,
  501: code.UNIMPLEMENTED,
  503: code.UNAVAILABLE,
}

type Plain = Record<string, unknown>
type Handler = (request: Plain, call: grpc.ServerUnaryCall<unknown, unknown>) => Plain | Promise<Plain>

/** The service for grpc-js, servers and clients alike: protobufjs encodes and decodes each message. */
export function inferenceServiceDefinition(): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Plain, Plain>> = {}
  for (const [rpc, [requestType, responseType]] of Object.entries(inferenceRpcs)) {
    definition[rpc] = {
      path: `${inferenceServicePath}/${rpc}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: Plain) => Buffer.from(requestType.encode(requestType.fromObject(v)).finish()),
      requestDeserialize: (b: Buffer) => toPlain(requestType, requestType.decode(b)),
      responseSerialize: (v: Plain) => Buffer.from(responseType.encode(responseType.fromObject(v)).finish()),
      responseDeserialize: (b: Buffer) => toPlain(responseType, responseType.decode(b)),
      originalName: rpc,
    }
  }
  return definition
}

/**
 * KServe V2 over gRPC (`inference.GRPCInferenceService`) on the serving core the HTTP routes use:
 * the same request reading after the wire (v2-model-input.ts), the same model entry rules, the same
 * endpoint keys (`authorization: Bearer KEY` metadata; liveness and readiness need none, as over HTTP).
 */
export async function startGrpcServing(options: GrpcServingOptions): Promise<GrpcServing> {
  const { slot, keys, logger } = options
  const { Server, ServerCredentials } = await import('@grpc/grpc-js')
  /** The gRPC status of a failed call, and the HTTP status the same failure has on the HTTP routes (for /metrics). */
  const toStatus = (err: unknown): { status: Partial<grpc.StatusObject>; httpStatus: number } => {
    if (err instanceof MlflowError) return { status: { code: codeByStatus[err.status] ?? code.INTERNAL, details: err.message }, httpStatus: err.status }
    if (err instanceof InputError) return { status: { code: code.INVALID_ARGUMENT, details: err.message.slice(0, 300) }, httpStatus: 400 }
    logger.error({ err }, 'gRPC call failed')
    return { status: { code: code.INTERNAL, details: 'internal error' }, httpStatus: 500 }
  }
  const checkKey = (call: grpc.ServerUnaryCall<unknown, unknown>) => {
    const given = call.metadata.get('authorization')[0]
    if (!keys.check(typeof given === 'string' ? given : undefined))
      throw new MlflowError('UNAUTHENTICATED', "a valid API key is required: metadata 'authorization: Bearer <key>'")
  }
  /** The model entry a call names, held until it ends; a version, when given, must be the one served. */
  const modelFor = (name: unknown, requested: unknown): ModelEntry => {
    if (name !== slot.name) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `model '${String(name).slice(0, 40)}' is not served here`)
    const entry = slot.current
    if (entry === undefined || !entry.predictor.isReady) throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'the model is not loaded yet')
    if (requested !== '' && requested !== entry.version)
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `model '${slot.name}' version '${String(requested).slice(0, 40)}' is not served here`)
    return entry
  }

  const handlers: Record<InferenceRpc, Handler> = {
    ServerLive: () => ({ live: true }),
    ServerReady: () => ({ ready: slot.isReady }),
    ModelReady: (r) => {
      const entry = slot.current
      return { ready: r['name'] === slot.name && slot.isReady && (r['version'] === '' || r['version'] === entry?.version) }
    },
    ServerMetadata: (_, call) => {
      checkKey(call)
      return { name: 'wharf', version, extensions: [] }
    },
    ModelMetadata: (r, call) => {
      checkKey(call)
      const m = v2ModelMetadata(slot.name, modelFor(r['name'], r['version']))
      return { ...m, versions: m.versions ?? [] }
    },
    ModelInfer: async (r, call) => {
      checkKey(call)
      const entry = modelFor(r['modelName'], r['modelVersion'])
      entry.inflight++
      try {
        const request = v2RequestFromGrpc(r)
        const prediction = await runRequest(entry.predictor, modelRequestFromV2(entry.predictor, request.inputs))
        const outputs = selectV2Outputs(request, prediction)
        return {
          modelName: slot.name,
          modelVersion: entry.version ?? '',
          id: request.id ?? '',
          outputs: outputs.map(({ name, tensor }) => ({
            name,
            datatype: datatypeOfData(tensor.data),
            shape: tensor.dims.length === 0 ? [tensor.data.length] : [...tensor.dims],
          })),
          // Raw contents for every output, as Triton answers: tritonclient reads outputs only from them.
          rawOutputContents: outputs.map(({ tensor }) => writeBinaryTensor(tensor.data)),
        }
      } finally {
        slot.release(entry)
      }
    },
  }

  const definition = inferenceServiceDefinition()
  const implementation: grpc.UntypedServiceImplementation = {}
  for (const rpc of Object.keys(inferenceRpcs)) {
    const handle = handlers[rpc as InferenceRpc]
    // Counted as the HTTP routes are, so the control plane's endpoint metrics cover gRPC too (ModelInfer is a prediction route there).
    const route = `${inferenceServicePath}/${rpc}`
    implementation[rpc] = (call: grpc.ServerUnaryCall<Plain, Plain>, callback: grpc.sendUnaryData<Plain>) => {
      const started = performance.now()
      const done = (httpStatus: number) => options.metrics?.observe(route, slot.current?.version, httpStatus, (performance.now() - started) / 1000)
      const fail = (err: unknown) => {
        const { status, httpStatus } = toStatus(err)
        callback(status)
        done(httpStatus)
      }
      let result: Plain | Promise<Plain>
      try {
        result = handle(call.request, call)
      } catch (err) {
        return fail(err)
      }
      Promise.resolve(result).then((value) => {
        callback(null, value)
        done(200)
      }, fail)
    }
  }

  // Channelz (grpc-js's call tracing for its admin service, which Wharf does not expose) costs every call its bookkeeping.
  const server = new Server({ 'grpc.max_receive_message_length': options.maxMessageBytes, 'grpc.enable_channelz': 0 })
  server.addService(definition, implementation)
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  )
  return {
    address: `${host}:${port}`,
    port,
    drain: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const deadline = setTimeout(() => server.forceShutdown(), timeoutMs)
        server.tryShutdown(() => {
          clearTimeout(deadline)
          resolve()
        })
      }),
  }
}
