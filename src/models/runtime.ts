import type * as ort from 'onnxruntime-node'
import { NoOnnxFlavorError, readMlmodelFile, readModelDir, type MlModel } from './model-dir.js'
import { InputError, toColumnar, toFloat64, toStrings, type ColumnarInput, type ColumnValues, type ModelInput } from './model-input.js'
import { NativeEvaluator } from './native-evaluator.js'
import { interpretOutputs, type OutputTensor, type Prediction } from './prediction.js'
import { inputColumnNames, type Signature } from './signature.js'
import type { WharfModelSpec } from './wharf-model.js'

export type Backend = 'onnxruntime' | 'native' | 'pyfunc'

export interface LoadOptions {
  /** 'auto' (default) uses the native evaluator for Wharf's own models, ONNX Runtime otherwise. */
  readonly backend?: Backend | 'auto'
  readonly intraOpNumThreads?: number
  /** A Python environment with mlflow: models without an onnx flavor are served by a pyfunc worker there. */
  readonly pythonEnv?: string | undefined
  /** Let that worker load models stored as pickles (pyfunc/pickle-policy.ts). */
  readonly allowPickle?: boolean | undefined
}

/** A model ready to predict. `predict` knows nothing about HTTP (see docs/architecture.md, "Serving"). */
export interface LoadedModel {
  readonly dir: string
  readonly mlmodel: MlModel
  readonly signature: Signature | undefined
  /** Column names the model expects, in order, when known. */
  readonly inputNames: readonly string[] | undefined
  readonly backend: Backend
  readonly wharf: WharfModelSpec | undefined
  predict(input: ModelInput): Promise<Prediction>
  close(): Promise<void>
}

type OnnxRuntime = typeof import('onnxruntime-node')
let onnxRuntime: Promise<OnnxRuntime> | undefined
/**
 * ONNX Runtime loads on first use: its native addon costs 60–180 ms of start-up, which a model the
 * native evaluator runs never needs (`wharf serve`'s ready-time target is 0.5 s).
 */
const loadOnnxRuntime = () => (onnxRuntime ??= import('onnxruntime-node').then((m) => (m as unknown as { default?: OnnxRuntime }).default ?? m))

export async function loadModel(dir: string, options: LoadOptions = {}): Promise<LoadedModel> {
  let model: Awaited<ReturnType<typeof readModelDir>>
  try {
    model = await readModelDir(dir)
  } catch (err) {
    if (!(err instanceof NoOnnxFlavorError) || options.pythonEnv === undefined) throw err
    return loadThroughPython(dir, options.pythonEnv, options.allowPickle === true)
  }
  const wanted = options.backend ?? 'auto'
  if (wanted === 'native' && model.wharf === undefined) throw new Error('the native backend needs a model trained by Wharf (a wharf flavor)')
  const base = { dir: model.dir, mlmodel: model.mlmodel, signature: model.signature, wharf: model.wharf }
  if (wanted !== 'onnxruntime' && model.wharf !== undefined) {
    const predictor = new NativePredictor(model.wharf)
    return {
      ...base,
      inputNames: model.wharf.columns.map((c) => c.name),
      backend: 'native',
      predict: async (input) => predictor.predict(input),
      close: async () => {},
    }
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: options.intraOpNumThreads ?? 1 }
  const runtime = await loadOnnxRuntime()
  const session = await runtime.InferenceSession.create(model.onnxPath, sessionOptions)
  const predictor = new OnnxPredictor(runtime.Tensor, session, model.signature, model.wharf)
  return { ...base, inputNames: predictor.inputNames, backend: 'onnxruntime', predict: (input) => predictor.predict(input), close: () => session.release() }
}

/** A model without an onnx flavor, in a Python worker (loaded only then: pyfunc/ is not part of the ONNX path). */
async function loadThroughPython(dir: string, pythonEnv: string, allowPickle: boolean): Promise<LoadedModel> {
  const file = await readMlmodelFile(dir)
  const { loadPyfuncModel } = await import('./pyfunc/pyfunc-model.js')
  const model = await loadPyfuncModel(file, { pythonEnv, allowPickle })
  return {
    dir: file.dir,
    mlmodel: file.mlmodel,
    signature: file.signature,
    wharf: undefined,
    inputNames: inputColumnNames(file.signature),
    backend: 'pyfunc',
    predict: model.predict,
    close: model.close,
  }
}

class NativePredictor {
  readonly #spec: WharfModelSpec
  readonly #evaluator: NativeEvaluator

  constructor(spec: WharfModelSpec) {
    this.#spec = spec
    this.#evaluator = new NativeEvaluator(spec)
  }

  predict(input: ModelInput): Prediction {
    const columnar = toColumnar(input)
    const columns = this.#spec.columns.map((c) => {
      const values = requireColumn(columnar, c.name)
      return c.kind === 'numeric' ? (values instanceof Float32Array ? values : toFloat64(c.name, values)) : values
    })
    return this.#evaluator.predict(columns, columnar.rowCount)
  }
}

function requireColumn(input: ColumnarInput, name: string): ColumnValues {
  const values = input.get(name)
  if (values === undefined) throw new InputError(`input is missing column '${name}'`)
  return values
}

type TensorMeta = { name: string; isTensor: true; type: ort.Tensor.Type; shape: ReadonlyArray<number | string> }

/** Feeds ONNX Runtime from columns: one input per column, or one 2-D input built from all columns. */
class OnnxPredictor {
  readonly #Tensor: OnnxRuntime['Tensor']
  readonly #session: ort.InferenceSession
  readonly #inputs: readonly TensorMeta[]
  readonly #fetches: readonly string[]
  readonly #signatureColumns: readonly string[] | undefined
  readonly #wharf: WharfModelSpec | undefined
  readonly inputNames: readonly string[] | undefined

  constructor(Tensor: OnnxRuntime['Tensor'], session: ort.InferenceSession, signature: Signature | undefined, wharf: WharfModelSpec | undefined) {
    this.#Tensor = Tensor
    this.#session = session
    this.#inputs = session.inputMetadata.map((m) => {
      if (!m.isTensor) throw new Error(`ONNX input '${m.name}' is not a tensor; Wharf feeds tensor inputs only`)
      return m as TensorMeta
    })
    // Non-tensor outputs (for example skl2onnx's ZipMap probabilities) cannot cross into Node; skip them.
    this.#fetches = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name)
    this.#signatureColumns = inputColumnNames(signature)
    this.#wharf = wharf
    this.inputNames =
      this.#inputs.length > 1 ? this.#inputs.map((m) => m.name) : (this.#signatureColumns ?? (isMatrix(this.#inputs[0]) ? undefined : [this.#inputs[0]!.name]))
  }

  async predict(input: ModelInput): Promise<Prediction> {
    const { feeds, rowCount } = 'tensors' in input ? this.#tensorFeeds(input.tensors) : this.#columnFeeds(toColumnar(input))
    const results = await this.#session.run(feeds, this.#fetches)
    const outputs: Record<string, OutputTensor> = {}
    for (const name of this.#fetches) {
      const t = results[name]!
      outputs[name] = { dims: t.dims, data: t.data as OutputTensor['data'] }
    }
    return interpretOutputs(outputs, rowCount, this.#wharf?.classes)
  }

  #tensorFeeds(tensors: Readonly<Record<string, { readonly data: ArrayLike<unknown>; readonly dims: readonly number[] }>>) {
    const feeds: Record<string, ort.Tensor> = {}
    let rowCount = 0
    for (const meta of this.#inputs) {
      const t = tensors[meta.name]
      if (t === undefined) throw new InputError(`input is missing tensor '${meta.name}'`)
      checkDims(meta, t.dims)
      feeds[meta.name] = this.#tensor(meta.type, convert(meta.name, meta.type, t.data as ColumnValues), t.dims)
      rowCount = t.dims[0] ?? 1
    }
    return { feeds, rowCount }
  }

  /** A tensor from request data: ONNX Runtime refusing it (data length against dims) is the request's fault. */
  #tensor(type: ort.Tensor.Type, data: FeedData, dims: readonly number[]): ort.Tensor {
    try {
      return new this.#Tensor(type, data, dims)
    } catch (err) {
      throw new InputError((err as Error).message)
    }
  }

  #columnFeeds(columns: ColumnarInput) {
    const n = columns.rowCount
    const feeds: Record<string, ort.Tensor> = {}
    const single = this.#inputs.length === 1 ? this.#inputs[0]! : undefined
    if (single !== undefined && isMatrix(single) && columns.get(single.name) === undefined) {
      // One [N, F] input: columns in signature order, else in the order given.
      const names = this.#signatureColumns ?? columns.names
      const width = typeof single.shape[1] === 'number' ? single.shape[1] : names.length
      if (names.length !== width) throw new InputError(`the model takes ${width} feature columns, got ${names.length}`)
      const parts = names.map((name) => convert(name, single.type, requireColumn(columns, name)))
      const data = allocate(single.type, n * width)
      for (let j = 0; j < width; j++) {
        const part = parts[j]!
        for (let i = 0; i < n; i++) (data as unknown[])[i * width + j] = part[i]
      }
      feeds[single.name] = new this.#Tensor(single.type, data, [n, width])
      return { feeds, rowCount: n }
    }
    for (const meta of this.#inputs) {
      const data = convert(meta.name, meta.type, requireColumn(columns, meta.name))
      feeds[meta.name] = new this.#Tensor(meta.type, data, meta.shape.length === 2 ? [n, 1] : [n])
    }
    return { feeds, rowCount: n }
  }
}

/**
 * Refuses a tensor whose rank or fixed dimensions differ from the model's input, before the session
 * runs: what the session then refuses is the model's fault, not the request's (a 500, not a 400).
 */
function checkDims(meta: TensorMeta, dims: readonly number[]): void {
  const fixed = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : undefined))
  if (dims.length !== fixed.length || fixed.some((d, k) => d !== undefined && d !== dims[k])) {
    const expected = fixed.map((d) => d ?? -1).join(', ')
    throw new InputError(`tensor '${meta.name}' must have shape [${expected}], got [${dims.join(', ')}]`)
  }
}

function isMatrix(meta: TensorMeta | undefined): boolean {
  return meta !== undefined && meta.shape.length === 2 && meta.shape[1] !== 1
}

type FeedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | string[]

function allocate(type: ort.Tensor.Type, n: number): FeedData {
  switch (type) {
    case 'float32':
      return new Float32Array(n)
    case 'float64':
      return new Float64Array(n)
    case 'int64':
      return new BigInt64Array(n)
    case 'int32':
      return new Int32Array(n)
    case 'bool':
      return new Uint8Array(n)
    case 'string':
      return new Array<string>(n).fill('')
    default:
      throw new InputError(`ONNX input type ${type} is not supported`)
  }
}

/** Column values as the typed data an ONNX tensor of `type` needs. */
function convert(name: string, type: ort.Tensor.Type, values: ColumnValues): FeedData {
  if (type === 'float64') return toFloat64(name, values)
  if (type === 'float32') return values instanceof Float32Array ? values : Float32Array.from(toFloat64(name, values))
  if (type === 'string') return toStrings(name, values).map((v) => v ?? '')
  const numbers = toFloat64(name, values)
  const out = allocate(type, numbers.length)
  for (let i = 0; i < numbers.length; i++) {
    const v = numbers[i]!
    if (type === 'int64') {
      if (!Number.isInteger(v)) throw new InputError(`column '${name}' row ${i}: expected an integer, got ${v}`)
      ;(out as BigInt64Array)[i] = BigInt(v)
    } else (out as Int32Array | Uint8Array)[i] = v
  }
  return out
}
