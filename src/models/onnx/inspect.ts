import { dirname } from 'node:path'
import { ModelFormatError } from '../model-error.js'
import { resolveInsideModel } from '../inside-model.js'
import { ModelProto } from './onnx-proto.js'

interface TensorLike {
  name?: string
  externalData?: { key?: string; value?: string }[]
  dataLocation?: number
}
interface GraphLike {
  initializer?: TensorLike[]
  node?: { attribute?: { t?: TensorLike; tensors?: TensorLike[]; g?: GraphLike; graphs?: GraphLike[] }[] }[]
}

/**
 * ONNX tensors may keep their bytes in external files named by a path relative to the model file
 * (onnx.proto, TensorProto.external_data). ONNX Runtime opens those files itself, so every such
 * path is checked to stay inside the model directory before the model is handed to it.
 */
export async function checkOnnxExternalData(bytes: Uint8Array, realDir: string, onnxPath: string): Promise<void> {
  let model: { graph?: GraphLike }
  try {
    model = ModelProto.decode(bytes) as unknown as { graph?: GraphLike }
  } catch (err) {
    throw new ModelFormatError(`model.onnx is not a valid ONNX model: ${(err as Error).message}`, { cause: err })
  }
  const locations: string[] = []
  const visit = (graph: GraphLike | undefined) => {
    if (!graph) return
    const tensors: TensorLike[] = [...(graph.initializer ?? [])]
    for (const node of graph.node ?? []) {
      for (const a of node.attribute ?? []) {
        if (a.t) tensors.push(a.t)
        tensors.push(...(a.tensors ?? []))
        visit(a.g)
        for (const g of a.graphs ?? []) visit(g)
      }
    }
    for (const t of tensors) for (const e of t.externalData ?? []) if (e.key === 'location' && e.value !== undefined) locations.push(e.value)
  }
  visit(model.graph)
  const base = dirname(onnxPath)
  for (const location of new Set(locations)) {
    const fromModelDir = base === realDir ? location : `${base.slice(realDir.length + 1)}/${location}`
    await resolveInsideModel(realDir, fromModelDir, 'ONNX external data location')
  }
}
