import { spawn, type ChildProcess } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { MlmodelFile } from '../model-dir.js'
import { ModelFormatError } from '../model-error.js'
import { InputError, toColumnar, type ModelInput } from '../model-input.js'
import { interpretOutputs, type OutputTensor, type Prediction } from '../prediction.js'
import { isTensorSchema, type TensorSpec } from '../signature.js'
import { encodeFrame, FrameReader } from './frames.js'
import { codeLoadingReason } from './pickle-policy.js'
import { workerSource } from './worker-source.js'

export interface PyfuncOptions {
  /** A virtual environment with mlflow (its python is `<env>/bin/python`), or a python executable. */
  readonly pythonEnv: string
  /** Load models stored as pickles (sklearn, custom python_model, ...): loading a pickle runs its code. */
  readonly allowPickle: boolean
  /** The longest a model may take to load, from the worker's start. */
  readonly loadTimeoutMs?: number
}

type Plain = Record<string, unknown>
interface WorkerOutput {
  readonly name: string
  readonly dtype: 'float32' | 'float64' | 'int64' | 'bool' | 'string'
  readonly dims: number[]
  readonly data: unknown[]
}

const maxFrameBytes = 256 << 20

async function pythonOf(env: string): Promise<string> {
  const candidates = [join(env, 'bin', 'python'), env]
  for (const path of candidates) {
    const info = await stat(path).catch(() => undefined)
    if (info?.isFile()) return path
  }
  throw new ModelFormatError(`--python-env '${env}': no Python there (looked for ${candidates[0]}); give a virtual environment with mlflow installed`)
}

/**
 * One long-lived Python process that loaded the model; requests go to it one frame at a time and
 * its answers come back in the same order (it serves them one after another).
 */
class PyfuncWorker {
  readonly #child: ChildProcess
  readonly #waiting: { resolve(v: Plain): void; reject(e: Error): void }[] = []
  #stderrTail = ''
  #exited: Error | undefined
  #nextId = 0

  private constructor(child: ChildProcess) {
    this.#child = child
    const reader = new FrameReader(maxFrameBytes)
    child.stdout!.on('data', (chunk: Buffer) => {
      let frames: unknown[]
      try {
        frames = reader.push(chunk)
      } catch (err) {
        child.kill('SIGKILL')
        return this.#fail(err as Error)
      }
      for (const frame of frames) this.#waiting.shift()?.resolve(frame as Plain)
    })
    // The model's own output, kept for the message when the worker dies (not logged: it can hold data).
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-2000)
    })
    child.on('error', (err) => this.#fail(err))
    child.on('exit', (code, signal) => this.#fail(new Error(`the Python worker exited (${signal ?? `code ${code}`})${this.#tail()}`)))
    child.stdin!.on('error', () => {}) // a dead worker shows as 'exit'; writing to it must not throw
  }

  static async start(python: string, dir: string, timeoutMs: number): Promise<PyfuncWorker> {
    const child = spawn(python, ['-u', '-c', workerSource, dir], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } })
    const worker = new PyfuncWorker(child)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    try {
      const ready = await worker.#next()
      if (ready['ready'] !== true) throw new ModelFormatError(`mlflow.pyfunc.load_model failed: ${String(ready['error'] ?? 'no answer')}`)
      return worker
    } catch (err) {
      child.kill('SIGKILL')
      if (err instanceof ModelFormatError) throw err
      throw new ModelFormatError(`the Python worker did not load the model: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
  }

  request(message: Plain): Promise<Plain> {
    const answer = this.#next()
    this.#child.stdin!.write(encodeFrame({ ...message, id: ++this.#nextId }))
    return answer
  }

  close(): Promise<void> {
    if (this.#exited !== undefined) return Promise.resolve()
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve())
      this.#child.stdin!.end() // the worker returns at end of input
      setTimeout(() => this.#child.kill('SIGKILL'), 5000).unref()
    })
  }

  #next(): Promise<Plain> {
    if (this.#exited !== undefined) return Promise.reject(this.#exited)
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }))
  }

  #tail(): string {
    const last = this.#stderrTail.trim().split('\n').slice(-3).join(' | ')
    return last === '' ? '' : `: ${last.slice(0, 600)}`
  }

  #fail(err: Error): void {
    this.#exited ??= err
    for (const w of this.#waiting.splice(0)) w.reject(this.#exited)
  }
}

function toOutputTensor(o: WorkerOutput): OutputTensor {
  const numbers = (values: unknown[]) => values.map((v) => (v === null ? Number.NaN : (v as number)))
  switch (o.dtype) {
    case 'float64':
      return { dims: o.dims, data: Float64Array.from(numbers(o.data)) }
    case 'float32':
      return { dims: o.dims, data: Float32Array.from(numbers(o.data)) }
    case 'bool':
      return { dims: o.dims, data: Uint8Array.from(o.data as boolean[], (b) => (b ? 1 : 0)) }
    default:
      return { dims: o.dims, data: o.data as readonly (number | string)[] }
  }
}

/** What the worker is sent: columns by name as lists (a DataFrame there), or named tensors with their dtype. */
function requestOf(file: MlmodelFile, input: ModelInput): { message: Plain; rowCount: number } {
  if ('tensors' in input) {
    const inputs = file.signature?.inputs ?? []
    const specs: readonly TensorSpec[] = isTensorSchema(inputs) ? inputs : []
    const tensors: Plain = {}
    let rowCount = 0
    for (const [name, t] of Object.entries(input.tensors)) {
      const dtype = specs.find((s) => (s.name ?? '') === name)?.['tensor-spec'].dtype ?? 'float64'
      tensors[name] = { dims: t.dims, dtype: dtype === 'object' ? 'str' : dtype, data: Array.from(t.data) }
      rowCount = t.dims[0] ?? 1
    }
    return { message: { tensors }, rowCount }
  }
  const columnar = toColumnar(input)
  return { message: { columns: columnar.names, values: columnar.names.map((n) => Array.from(columnar.get(n)!)) }, rowCount: columnar.rowCount }
}

/**
 * A model without an onnx flavor, served by `mlflow.pyfunc.load_model` in a Python worker. A model
 * stored as a pickle is refused, naming the flavor, unless `allowPickle` (docs/protocols.md §7.1.3).
 */
export async function loadPyfuncModel(file: MlmodelFile, options: PyfuncOptions) {
  if (file.mlmodel.flavors['python_function'] === undefined)
    throw new ModelFormatError(`model has neither an onnx nor a python_function flavor (flavors: ${Object.keys(file.mlmodel.flavors).join(', ')})`)
  if (file.signature === undefined)
    throw new ModelFormatError('a model served through the Python worker needs a signature (log it with an input_example or a signature)')
  const reason = codeLoadingReason(file.mlmodel)
  if (reason !== undefined && !options.allowPickle)
    throw new ModelFormatError(
      `model flavor ${reason} loads by unpickling, which runs code stored in the model; serve it only if you trust where it came from, with --allow-pickle (WHARF_SERVE_ALLOW_PICKLE=true)`,
    )
  const worker = await PyfuncWorker.start(await pythonOf(options.pythonEnv), file.dir, options.loadTimeoutMs ?? 180_000)
  return {
    predict: async (input: ModelInput): Promise<Prediction> => {
      const { message, rowCount } = requestOf(file, input)
      const answer = await worker.request(message)
      // The model refusing its input is the request's fault, as MLflow's scoring server answers it (400).
      if (typeof answer['error'] === 'string') throw new InputError(`the model raised ${answer['error']}`)
      const outputs: Record<string, OutputTensor> = {}
      for (const o of answer['outputs'] as WorkerOutput[]) outputs[o.name] = toOutputTensor(o)
      return interpretOutputs(outputs, rowCount)
    },
    close: () => worker.close(),
  }
}
