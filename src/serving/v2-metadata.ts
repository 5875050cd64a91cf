import { isTensorSchema, type ColumnSpec, type TensorSpec } from '../models/index.js'
import type { ModelEntry } from './model-slot.js'
import { datatypeOf, tensorInfos } from './tensor-input.js'

export interface V2TensorMetadata {
  readonly name: string
  readonly datatype: string
  readonly shape: readonly number[]
}

/** Open Inference Protocol model metadata, the same over HTTP and gRPC. */
export interface V2ModelMetadata {
  readonly name: string
  readonly versions?: readonly string[]
  readonly platform: string
  readonly inputs: readonly V2TensorMetadata[]
  readonly outputs: readonly V2TensorMetadata[]
}

const datatypeByColumnType: Readonly<Record<string, string>> = {
  double: 'FP64',
  float: 'FP32',
  long: 'INT64',
  integer: 'INT32',
  boolean: 'BOOL',
  string: 'BYTES',
}

function tensorMetadata(specs: readonly ColumnSpec[] | readonly TensorSpec[] | undefined): V2TensorMetadata[] {
  if (specs === undefined) return []
  if (isTensorSchema(specs)) return tensorInfos(specs).map((t) => ({ name: t.name, datatype: datatypeOf(t.dtype), shape: t.shape }))
  return specs.map((c, i) => ({ name: c.name ?? String(i), datatype: datatypeByColumnType[typeof c.type === 'string' ? c.type : ''] ?? 'BYTES', shape: [-1] }))
}

// Informational in the spec; Triton's names where one exists.
const platformByBackend = { native: 'wharf_native', onnxruntime: 'onnx_onnxv1', pyfunc: 'mlflow_pyfunc' } as const

export function v2ModelMetadata(name: string, entry: ModelEntry): V2ModelMetadata {
  const { predictor } = entry
  const signature = predictor.signature
  const inputs =
    predictor.schema === undefined
      ? tensorMetadata(signature?.inputs)
      : tensorMetadata(predictor.schema.columns.map((c) => ({ name: c.name, type: c.type as ColumnSpec['type'] })))
  return {
    name,
    ...(entry.version === undefined ? {} : { versions: [entry.version] }),
    platform: platformByBackend[predictor.backend],
    inputs,
    outputs: tensorMetadata(signature?.outputs),
  }
}
