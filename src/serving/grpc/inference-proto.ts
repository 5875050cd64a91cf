import protobuf from 'protobufjs/light.js'

/**
 * The Open Inference Protocol's gRPC messages (package `inference`, service `GRPCInferenceService`;
 * KServe's docs/predict-api/v2/grpc_predict_v2.proto, with the field numbers given there), as a
 * protobufjs JSON descriptor: no .proto file beside dist/ and no parser at runtime, as for ONNX
 * (models/onnx/onnx-proto.ts). InferParameter also has Triton's `double_param` and `uint64_param`
 * (triton-inference-server/common protobuf/grpc_service.proto), which tritonclient can send.
 */
const r = (type: string, id: number) => ({ rule: 'repeated', type, id })
const o = (type: string, id: number) => ({ type, id })
const map = (id: number) => ({ keyType: 'string', type: 'InferParameter', id })
const tensorMetadata = { fields: { name: o('string', 1), datatype: o('string', 2), shape: r('int64', 3) } }
const nameAndVersion = { fields: { name: o('string', 1), version: o('string', 2) } }

const descriptor = {
  nested: {
    inference: {
      nested: {
        ServerLiveRequest: { fields: {} },
        ServerLiveResponse: { fields: { live: o('bool', 1) } },
        ServerReadyRequest: { fields: {} },
        ServerReadyResponse: { fields: { ready: o('bool', 1) } },
        ModelReadyRequest: nameAndVersion,
        ModelReadyResponse: { fields: { ready: o('bool', 1) } },
        ServerMetadataRequest: { fields: {} },
        ServerMetadataResponse: { fields: { name: o('string', 1), version: o('string', 2), extensions: r('string', 3) } },
        ModelMetadataRequest: nameAndVersion,
        ModelMetadataResponse: {
          fields: { name: o('string', 1), versions: r('string', 2), platform: o('string', 3), inputs: r('TensorMetadata', 4), outputs: r('TensorMetadata', 5) },
          nested: { TensorMetadata: tensorMetadata },
        },
        ModelInferRequest: {
          fields: {
            modelName: o('string', 1),
            modelVersion: o('string', 2),
            id: o('string', 3),
            parameters: map(4),
            inputs: r('InferInputTensor', 5),
            outputs: r('InferRequestedOutputTensor', 6),
            rawInputContents: r('bytes', 7),
          },
          nested: {
            InferInputTensor: {
              fields: { name: o('string', 1), datatype: o('string', 2), shape: r('int64', 3), parameters: map(4), contents: o('InferTensorContents', 5) },
            },
            InferRequestedOutputTensor: { fields: { name: o('string', 1), parameters: map(2) } },
          },
        },
        ModelInferResponse: {
          fields: {
            modelName: o('string', 1),
            modelVersion: o('string', 2),
            id: o('string', 3),
            parameters: map(4),
            outputs: r('InferOutputTensor', 5),
            rawOutputContents: r('bytes', 6),
          },
          nested: {
            InferOutputTensor: {
              fields: { name: o('string', 1), datatype: o('string', 2), shape: r('int64', 3), parameters: map(4), contents: o('InferTensorContents', 5) },
            },
          },
        },
        InferParameter: {
          oneofs: { parameterChoice: { oneof: ['boolParam', 'int64Param', 'stringParam', 'doubleParam', 'uint64Param'] } },
          fields: { boolParam: o('bool', 1), int64Param: o('int64', 2), stringParam: o('string', 3), doubleParam: o('double', 4), uint64Param: o('uint64', 5) },
        },
        InferTensorContents: {
          fields: {
            boolContents: r('bool', 1),
            intContents: r('int32', 2),
            int64Contents: r('int64', 3),
            uintContents: r('uint32', 4),
            uint64Contents: r('uint64', 5),
            fp32Contents: r('float', 6),
            fp64Contents: r('double', 7),
            bytesContents: r('bytes', 8),
          },
        },
      },
    },
  },
}

const root = protobuf.Root.fromJSON(descriptor)
const type = (name: string) => root.lookupType(`inference.${name}`)

/** Each RPC of the service with its request and response types, in the spec's order. */
export const inferenceRpcs = {
  ServerLive: [type('ServerLiveRequest'), type('ServerLiveResponse')],
  ServerReady: [type('ServerReadyRequest'), type('ServerReadyResponse')],
  ModelReady: [type('ModelReadyRequest'), type('ModelReadyResponse')],
  ServerMetadata: [type('ServerMetadataRequest'), type('ServerMetadataResponse')],
  ModelMetadata: [type('ModelMetadataRequest'), type('ModelMetadataResponse')],
  ModelInfer: [type('ModelInferRequest'), type('ModelInferResponse')],
} as const

export type InferenceRpc = keyof typeof inferenceRpcs
export const inferenceServicePath = '/inference.GRPCInferenceService'

/** A decoded message as plain values: int64 as decimal strings, bytes as Buffers, defaults filled in. */
export const toPlain = (t: protobuf.Type, m: protobuf.Message): Record<string, unknown> =>
  t.toObject(m, { longs: String, defaults: true, arrays: true, objects: true, oneofs: true })
