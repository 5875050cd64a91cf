import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import {
  type Backend,
  isTensorSchema,
  loadModel,
  resolveInsideModel,
  type ColumnSpec,
  type ColumnValues,
  type LoadedModel,
  type Prediction,
  type Signature,
  type WharfModelSpec,
} from '../models/index.js'
import { ColumnScratch, InputSchema, kindOfType, type ColumnBatch, type ExpectedColumn } from './input-schema.js'
import { MicroBatcher } from './micro-batcher.js'
import { NativeScorer } from './native-scorer.js'
import { badRequest } from '../errors.js'
import type { NumericSplit } from './split-json.js'
import { tensorInfos, type Tensor, type TensorInfo } from './tensor-input.js'

export interface PredictorOptions {
  /** auto: the native evaluator for Wharf's models, ONNX Runtime for the rest. */
  readonly backend?: 'auto' | 'native' | 'onnxruntime'
  /** ONNX models only: merge concurrent requests into one session run of at most this many rows (0: off). */
  readonly batchMaxRows?: number
  readonly batchMaxWaitUs?: number
  /** Models without an onnx flavor: served by a pyfunc worker in this Python environment. */
  readonly pythonEnv?: string | undefined
  /** ... which may then load models stored as pickles. */
  readonly allowPickle?: boolean | undefined
}

/**
 * The serving core (KServe's DataPlane, without HTTP): load a model directory, say when it is
 * ready, validate input against the signature, predict. Protocol modules translate wire formats
 * into `ColumnBatch` or named tensors, and the `Prediction` back.
 */
export class Predictor {
  readonly #model: LoadedModel
  readonly #native: NativeScorer | undefined
  readonly #batcher: MicroBatcher | undefined
  /** Columns for the native evaluator, which is done with them before the next request is read. */
  readonly #scratch = new ColumnScratch()
  #ready = false
  /** Column schema, in the order predict wants columns; undefined for tensor-signature models. */
  readonly schema: InputSchema | undefined
  /** Named input tensors of a tensor-signature model. */
  readonly tensors: readonly TensorInfo[] | undefined
  readonly loadMs: number

  private constructor(model: LoadedModel, options: PredictorOptions, loadMs: number) {
    this.#model = model
    this.loadMs = loadMs
    const signature = model.signature
    if (signature !== undefined && isTensorSchema(signature.inputs)) {
      this.tensors = tensorInfos(signature.inputs)
      this.schema = undefined
    } else {
      this.tensors = undefined
      this.schema = new InputSchema(expectedColumns(signature, model.wharf, model.inputNames, model.backend === 'native'))
    }
    this.#native = model.backend === 'native' ? new NativeScorer(model.wharf!) : undefined
    const maxRows = options.batchMaxRows ?? 0
    this.#batcher = this.#native === undefined && maxRows > 0 ? new MicroBatcher((b) => this.#runOnnx(b), maxRows, options.batchMaxWaitUs ?? 500) : undefined
  }

  static async load(dir: string, options: PredictorOptions = {}): Promise<Predictor> {
    const started = performance.now()
    const model = await loadModel(dir, { backend: options.backend ?? 'auto', pythonEnv: options.pythonEnv, allowPickle: options.allowPickle })
    return new Predictor(model, options, performance.now() - started)
  }

  get backend(): Backend {
    return this.#model.backend
  }
  get dir(): string {
    return this.#model.dir
  }
  get signature(): Signature | undefined {
    return this.#model.signature
  }
  get isReady(): boolean {
    return this.#ready
  }

  /** Synchronous for the native evaluator (the hot path has no promise), a promise for ONNX Runtime. */
  predict(batch: ColumnBatch): Prediction | Promise<Prediction> {
    if (this.#native !== undefined) return this.#native.score(batch.columns, batch.rowCount)
    return this.#batcher !== undefined ? this.#batcher.submit(batch) : this.#runOnnx(batch)
  }

  /**
   * A numeric dataframe_split that `schema.splitReader` read (all-numeric schemas only). The native
   * evaluator scores it from columns reused across requests; ONNX Runtime, which may hold a batch
   * across a micro-batch wait, gets columns of its own.
   */
  predictSplit(split: NumericSplit): Prediction | Promise<Prediction> {
    if (this.#native === undefined) return this.predict(this.schema!.fromNumericSplit(split))
    const batch = this.schema!.fromNumericSplit(split, this.#scratch)
    return this.#native.score(batch.columns, batch.rowCount)
  }

  async predictTensors(tensors: Readonly<Record<string, Tensor>>): Promise<Prediction> {
    if (this.tensors === undefined) throw badRequest('this model takes columns, not named tensors')
    return this.#model.predict({ tensors })
  }

  /** Predicts the saved input example (or one row of zeros) a few times, then marks the model ready. */
  async warmUp(): Promise<void> {
    if (this.schema !== undefined) {
      const batch =
        (await this.#example()) ?? this.schema.fromRows([this.schema.columns.map((c) => (c.kind === 'string' ? '' : c.kind === 'boolean' ? false : 0))])
      for (let i = 0; i < 3; i++) await this.predict(batch)
    }
    this.#ready = true
  }

  async close(): Promise<void> {
    this.#ready = false
    await this.#model.close()
  }

  async #runOnnx(batch: ColumnBatch): Promise<Prediction> {
    const columns: Record<string, ColumnValues> = {}
    for (const [i, c] of this.schema!.columns.entries()) columns[c.name] = batch.columns[i]!
    return this.#model.predict({ columns })
  }

  async #example(): Promise<ColumnBatch | undefined> {
    const info = this.#model.mlmodel['saved_input_example_info'] as { artifact_path?: unknown; pandas_orient?: unknown } | undefined
    if (info?.artifact_path === undefined || info.pandas_orient !== 'split') return undefined
    try {
      const path = await resolveInsideModel(this.#model.dir, info.artifact_path, 'input example')
      const example = JSON.parse(await readFile(path, 'utf8')) as { columns?: unknown; data?: unknown }
      return this.schema!.fromSplit(example.columns, example.data)
    } catch {
      return undefined // a broken example only costs the warm-up its realism
    }
  }
}

/**
 * The columns predict takes: the signature's, in spec order for the native evaluator (which reads
 * columns by position); from the spec when there is no signature; names only as a last resort.
 */
function expectedColumns(
  signature: Signature | undefined,
  wharf: WharfModelSpec | undefined,
  inputNames: readonly string[] | undefined,
  native: boolean,
): ExpectedColumn[] {
  const specs = signature === undefined ? [] : (signature.inputs as readonly ColumnSpec[])
  const fromSignature = (s: ColumnSpec, i: number): ExpectedColumn => {
    const type = typeof s.type === 'string' ? s.type : s.type.type
    return { name: s.name ?? String(i), type, kind: kindOfType(s.type), required: s.required !== false }
  }
  if (native && wharf !== undefined) {
    return wharf.columns.map((c) => {
      const declared = specs.find((s) => s.name === c.name)
      if (declared !== undefined) return fromSignature(declared, 0)
      return c.kind === 'numeric'
        ? { name: c.name, type: 'double', kind: 'number', required: true }
        : { name: c.name, type: 'string', kind: 'string', required: true }
    })
  }
  if (specs.length > 0) return specs.map(fromSignature)
  return (inputNames ?? []).map((name) => ({ name, type: 'any', kind: 'any', required: true }))
}
