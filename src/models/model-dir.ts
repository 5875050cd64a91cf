import { randomUUID } from 'node:crypto'
import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Document, parse, stringify, type Scalar } from 'yaml'
import { ModelFormatError } from './model-error.js'
import { checkOnnxExternalData } from './onnx/inspect.js'
import { resolveInsideModel } from './inside-model.js'
import { signatureFromMlmodel, signatureToMlmodel, type Signature } from './signature.js'
import { wharfModelFormat, type WharfModelSpec } from './wharf-model.js'

/** The MLmodel file as a loose mapping: MLflow adds keys across versions and Wharf keeps them all. */
export type MlModel = Record<string, unknown> & { readonly flavors: Record<string, Record<string, unknown>> }

/** Input example in pandas "split" orientation, as MLflow saves DataFrame examples. */
export interface InputExample {
  readonly columns: readonly string[]
  readonly data: readonly (readonly (number | string | null)[])[]
}

export interface ModelDirectory {
  readonly dir: string
  readonly mlmodel: MlModel
  readonly onnxPath: string
  readonly signature: Signature | undefined
  readonly wharf: WharfModelSpec | undefined
}

const maxMlmodelBytes = 1 << 20
const maxSpecBytes = 256 << 20

/** An MLflow model directory's MLmodel, read and checked, whatever its flavors. */
export interface MlmodelFile {
  /** The directory, symlinks resolved. */
  readonly dir: string
  readonly mlmodel: MlModel
  readonly signature: Signature | undefined
}

/** Reads MLmodel (YAML, at most 1 MiB) and its signature; every failure is a ModelFormatError. */
export async function readMlmodelFile(dir: string): Promise<MlmodelFile> {
  let realDir: string
  try {
    realDir = await realpath(dir)
    if (!(await stat(realDir)).isDirectory()) throw new Error('not a directory')
  } catch (err) {
    throw new ModelFormatError(`model directory '${dir}' does not exist or is not a directory`, { cause: err })
  }
  const mlmodelPath = await resolveInsideModel(realDir, 'MLmodel', 'MLmodel file').catch(() => {
    throw new ModelFormatError(`'${dir}' is not an MLflow model directory: it has no MLmodel file`)
  })
  if ((await stat(mlmodelPath)).size > maxMlmodelBytes) throw new ModelFormatError('MLmodel is larger than 1 MiB')
  let doc: unknown
  try {
    doc = parse(await readFile(mlmodelPath, 'utf8'), { maxAliasCount: 50 })
  } catch (err) {
    throw new ModelFormatError(`MLmodel is not valid YAML: ${(err as Error).message}`, { cause: err })
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ModelFormatError('MLmodel must be a YAML mapping')
  const flavors = (doc as Record<string, unknown>)['flavors']
  if (flavors === null || typeof flavors !== 'object' || Array.isArray(flavors)) throw new ModelFormatError('MLmodel has no flavors mapping')
  const mlmodel = doc as MlModel
  let signature: Signature | undefined
  try {
    signature = signatureFromMlmodel(mlmodel['signature'])
  } catch (err) {
    throw new ModelFormatError(`MLmodel signature is invalid: ${(err as Error).message}`, { cause: err })
  }
  return { dir: realDir, mlmodel, signature }
}

/** The flavor names a model without an onnx flavor lists, for the error that says how to serve it. */
export class NoOnnxFlavorError extends ModelFormatError {
  constructor(readonly flavors: readonly string[]) {
    super(
      `model has no onnx flavor (flavors: ${flavors.join(', ') || 'none'}); serve it through a Python worker with --python-env <a venv with mlflow> (docs/protocols.md §7.1.3)`,
    )
    this.name = 'NoOnnxFlavorError'
  }
}

/**
 * Reads an MLflow model directory with an `onnx` flavor, whoever wrote it. Every path in MLmodel
 * must stay inside the directory; pickles are never read.
 */
export async function readModelDir(dir: string): Promise<ModelDirectory> {
  const { dir: realDir, mlmodel, signature } = await readMlmodelFile(dir)
  const onnx = (mlmodel.flavors as Record<string, unknown>)['onnx']
  if (onnx === undefined || onnx === null || typeof onnx !== 'object') throw new NoOnnxFlavorError(Object.keys(mlmodel.flavors))
  const onnxPath = await resolveInsideModel(realDir, (onnx as Record<string, unknown>)['data'], 'onnx flavor data')
  await checkOnnxExternalData(await readFile(onnxPath), realDir, onnxPath)
  return { dir: realDir, mlmodel, onnxPath, signature, wharf: await readWharfSpec(realDir, mlmodel.flavors['wharf']) }
}

async function readWharfSpec(realDir: string, flavor: Record<string, unknown> | undefined): Promise<WharfModelSpec | undefined> {
  if (flavor === undefined || flavor === null) return undefined
  const path = await resolveInsideModel(realDir, flavor['data'], 'wharf flavor data')
  if ((await stat(path)).size > maxSpecBytes) throw new ModelFormatError('wharf flavor data is too large')
  const spec = JSON.parse(await readFile(path, 'utf8')) as WharfModelSpec
  if (spec.format !== wharfModelFormat) throw new ModelFormatError(`wharf flavor data has format '${String(spec.format)}', expected '${wharfModelFormat}'`)
  return spec
}

export interface ModelToWrite {
  readonly onnx: Uint8Array
  readonly signature: Signature
  readonly inputExample?: InputExample
  readonly wharf?: WharfModelSpec
  readonly runId?: string
  readonly artifactPath?: string
  readonly onnxVersion?: string
  readonly wharfVersion: string
}

/** The MLflow version Wharf's MLmodel files claim compatibility with (the oldest line we test). */
const mlflowVersionWritten = '2.22.0'
const pythonVersion = '3.11.9'
const requirements = ['mlflow', 'onnx', 'onnxruntime']

/**
 * Writes an MLflow model directory that `mlflow.pyfunc.load_model` loads through `mlflow.onnx`:
 * MLmodel, model.onnx, the environment files MLflow writes, an input example, and, for Wharf's
 * own models, `wharf_model.json` for the native evaluator.
 */
export async function writeModelDir(dir: string, model: ModelToWrite): Promise<MlModel> {
  await mkdir(dir, { recursive: true })
  const flavors: Record<string, Record<string, unknown>> = {
    onnx: { code: null, data: 'model.onnx', onnx_version: model.onnxVersion ?? '1.17.0', providers: ['CPUExecutionProvider'], onnx_session_options: null },
    python_function: {
      code: null,
      data: 'model.onnx',
      env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
      loader_module: 'mlflow.onnx',
      python_version: pythonVersion,
    },
  }
  if (model.wharf !== undefined) {
    flavors['wharf'] = { data: 'wharf_model.json', format: model.wharf.format, algorithm: model.wharf.algorithm, wharf_version: model.wharfVersion }
    await writeFile(join(dir, 'wharf_model.json'), JSON.stringify(model.wharf))
  }
  const mlmodel: Record<string, unknown> = {}
  if (model.artifactPath !== undefined) mlmodel['artifact_path'] = model.artifactPath
  mlmodel['flavors'] = flavors
  mlmodel['mlflow_version'] = mlflowVersionWritten
  mlmodel['model_size_bytes'] = model.onnx.byteLength
  mlmodel['model_uuid'] = randomUUID().replaceAll('-', '')
  if (model.runId !== undefined) mlmodel['run_id'] = model.runId
  if (model.inputExample !== undefined) {
    mlmodel['saved_input_example_info'] = {
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
    }
    await writeFile(join(dir, 'input_example.json'), JSON.stringify(model.inputExample))
    await writeFile(join(dir, 'serving_input_example.json'), JSON.stringify({ dataframe_split: model.inputExample }, null, 2))
  }
  mlmodel['signature'] = signatureToMlmodel(model.signature)
  mlmodel['utc_time_created'] = utcTimeCreated(new Date())
  await writeFile(join(dir, 'model.onnx'), model.onnx)
  const doc = new Document(mlmodel)
  // Quoted as MLflow writes it: PyYAML would otherwise read the bare value as a datetime.
  ;(doc.get('utc_time_created', true) as Scalar).type = 'QUOTE_SINGLE'
  await writeFile(join(dir, 'MLmodel'), doc.toString())
  await writeFile(join(dir, 'requirements.txt'), `${requirements.join('\n')}\n`)
  await writeFile(join(dir, 'python_env.yaml'), stringify({ python: pythonVersion, build_dependencies: ['pip'], dependencies: ['-r requirements.txt'] }))
  await writeFile(
    join(dir, 'conda.yaml'),
    stringify({ channels: ['conda-forge'], dependencies: [`python=${pythonVersion}`, 'pip', { pip: requirements }], name: 'mlflow-env' }),
  )
  return mlmodel as MlModel
}

/** MLflow's `utc_time_created` format: 'YYYY-MM-DD HH:MM:SS.ffffff'. */
function utcTimeCreated(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '000')
}
