import { AttributeType, DataType, ModelProto } from './onnx-proto.js'

export type Attribute =
  | { readonly f: number }
  | { readonly i: number }
  | { readonly s: string }
  | { readonly floats: readonly number[] }
  | { readonly ints: readonly number[] }
  | { readonly strings: readonly string[] }

type ElemType = (typeof DataType)[keyof typeof DataType]

const encoder = new TextEncoder()

/** Builds one ONNX graph: named inputs and outputs, constants as initializers, nodes in order. */
export class GraphBuilder {
  readonly #nodes: object[] = []
  readonly #initializers: object[] = []
  readonly #inputs: object[] = []
  readonly #outputs: object[] = []
  #counter = 0

  /** An input without a declared shape: callers may feed [N] or [N, 1] (see export.ts). */
  input(name: string, elemType: ElemType): string {
    this.#inputs.push({ name, type: { tensorType: { elemType } } })
    return name
  }

  output(name: string, elemType: ElemType, dims: readonly (number | string)[]): void {
    const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }))
    this.#outputs.push({ name, type: { tensorType: { elemType, shape: { dim } } } })
  }

  fresh(hint: string): string {
    return `wharf/${hint}_${this.#counter++}`
  }

  doubles(values: readonly number[], dims: readonly number[], hint = 'const'): string {
    const name = this.fresh(hint)
    const raw = new Uint8Array(Float64Array.from(values).buffer)
    this.#initializers.push({ name, dims, dataType: DataType.DOUBLE, rawData: raw })
    return name
  }

  int64s(values: readonly number[], dims: readonly number[], hint = 'const'): string {
    const name = this.fresh(hint)
    this.#initializers.push({ name, dims, dataType: DataType.INT64, int64Data: values })
    return name
  }

  strings(values: readonly string[], dims: readonly number[], hint = 'const'): string {
    const name = this.fresh(hint)
    this.#initializers.push({ name, dims, dataType: DataType.STRING, stringData: values.map((v) => encoder.encode(v)) })
    return name
  }

  /** Adds a node and returns its output names (fresh unless given). */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, Attribute> = {},
    options: { domain?: string; outputs?: readonly string[] | number } = {},
  ): string[] {
    const outs = Array.isArray(options.outputs)
      ? [...options.outputs]
      : Array.from({ length: typeof options.outputs === 'number' ? options.outputs : 1 }, () => this.fresh(opType.toLowerCase()))
    const attribute = Object.entries(attributes).map(([name, a]) => toAttribute(name, a))
    this.#nodes.push({ opType, domain: options.domain ?? '', input: inputs, output: outs, name: this.fresh(`node_${opType}`), attribute })
    return outs
  }

  encode(meta: { producerVersion: string; docString?: string; metadata?: Record<string, string> }): Uint8Array {
    const model = {
      irVersion: 8,
      producerName: 'wharf',
      producerVersion: meta.producerVersion,
      docString: meta.docString ?? '',
      opsetImport: [
        { domain: '', version: 15 },
        { domain: 'ai.onnx.ml', version: 3 },
      ],
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: 'wharf', node: this.#nodes, initializer: this.#initializers, input: this.#inputs, output: this.#outputs },
    }
    return ModelProto.encode(ModelProto.fromObject(model)).finish()
  }
}

function toAttribute(name: string, a: Attribute): object {
  if ('f' in a) return { name, type: AttributeType.FLOAT, f: a.f }
  if ('i' in a) return { name, type: AttributeType.INT, i: a.i }
  if ('s' in a) return { name, type: AttributeType.STRING, s: encoder.encode(a.s) }
  if ('floats' in a) return { name, type: AttributeType.FLOATS, floats: a.floats }
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: a.ints }
  return { name, type: AttributeType.STRINGS, strings: a.strings.map((v) => encoder.encode(v)) }
}
