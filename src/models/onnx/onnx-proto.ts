import protobuf from 'protobufjs/light.js'

/**
 * The part of ONNX's `onnx.proto` (github.com/onnx/onnx, onnx/onnx.in.proto; field numbers as
 * there) that Wharf writes and inspects, as a protobufjs JSON descriptor. Bundled in code rather
 * than loaded from a .proto file so it needs no file next to dist/ and no parser at runtime.
 * protobufjs (maintained, no install scripts) is used instead of the `onnx-proto` npm package,
 * which pins the protobufjs 6 line.
 */
const r = (type: string, id: number) => ({ rule: 'repeated', type, id })
const o = (type: string, id: number) => ({ type, id })

const descriptor = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: o('string', 1),
            refAttrName: o('string', 21),
            docString: o('string', 13),
            type: o('int32', 20),
            f: o('float', 2),
            i: o('int64', 3),
            s: o('bytes', 4),
            t: o('TensorProto', 5),
            g: o('GraphProto', 6),
            floats: r('float', 7),
            ints: r('int64', 8),
            strings: r('bytes', 9),
            tensors: r('TensorProto', 10),
            graphs: r('GraphProto', 11),
          },
        },
        ValueInfoProto: { fields: { name: o('string', 1), type: o('TypeProto', 2), docString: o('string', 3) } },
        NodeProto: {
          fields: {
            input: r('string', 1),
            output: r('string', 2),
            name: o('string', 3),
            opType: o('string', 4),
            domain: o('string', 7),
            attribute: r('AttributeProto', 5),
            docString: o('string', 6),
          },
        },
        ModelProto: {
          fields: {
            irVersion: o('int64', 1),
            opsetImport: r('OperatorSetIdProto', 8),
            producerName: o('string', 2),
            producerVersion: o('string', 3),
            domain: o('string', 4),
            modelVersion: o('int64', 5),
            docString: o('string', 6),
            graph: o('GraphProto', 7),
            metadataProps: r('StringStringEntryProto', 14),
          },
        },
        StringStringEntryProto: { fields: { key: o('string', 1), value: o('string', 2) } },
        GraphProto: {
          fields: {
            node: r('NodeProto', 1),
            name: o('string', 2),
            initializer: r('TensorProto', 5),
            docString: o('string', 10),
            input: r('ValueInfoProto', 11),
            output: r('ValueInfoProto', 12),
            valueInfo: r('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: r('int64', 1),
            dataType: o('int32', 2),
            floatData: r('float', 4),
            int32Data: r('int32', 5),
            stringData: r('bytes', 6),
            int64Data: r('int64', 7),
            name: o('string', 8),
            docString: o('string', 12),
            rawData: o('bytes', 9),
            externalData: r('StringStringEntryProto', 13),
            dataLocation: o('int32', 14),
            doubleData: r('double', 10),
            uint64Data: r('uint64', 11),
          },
        },
        TensorShapeProto: {
          fields: { dim: r('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: o('int64', 1), dimParam: o('string', 2), denotation: o('string', 3) },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType', 'sequenceType', 'mapType'] } },
          fields: { tensorType: o('Tensor', 1), sequenceType: o('Sequence', 4), mapType: o('Map', 5), denotation: o('string', 6) },
          nested: {
            Tensor: { fields: { elemType: o('int32', 1), shape: o('TensorShapeProto', 2) } },
            Sequence: { fields: { elemType: o('TypeProto', 1) } },
            Map: { fields: { keyType: o('int32', 1), valueType: o('TypeProto', 2) } },
          },
        },
        OperatorSetIdProto: { fields: { domain: o('string', 1), version: o('int64', 2) } },
      },
    },
  },
}

const root = protobuf.Root.fromJSON(descriptor)
export const ModelProto = root.lookupType('onnx.ModelProto')

/** TensorProto.DataType values. */
export const DataType = { FLOAT: 1, INT64: 7, STRING: 8, DOUBLE: 11 } as const

/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const
