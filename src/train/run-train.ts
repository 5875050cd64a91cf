import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { TrackingClient, type KeyValue, type Metric } from '../client/index.js'
import { exportOnnx, outputNamesOf, writeModelDir, type ColumnSpec, type InputExample, type Signature, type WharfModelSpec } from '../models/index.js'
import { version as wharfVersion } from '../version.js'
import { readCsvFile } from './csv.js'
import type { GbdtProgress } from './gbdt/gbdt.js'
import { algorithms, resolveParams } from './params.js'
import { profileTable } from './profile.js'
import { trainTestSplit } from './split.js'
import { dropColumns, takeRows, type Table } from './table.js'
import { evaluateModel, trainModel } from './trainer.js'

/** What `wharf train` takes; the command in cli/train.ts maps flags onto it one to one. */
export interface TrainCommandOptions {
  /** --data FILE.csv */
  readonly data: string
  /** --target COLUMN */
  readonly target: string
  /** --model elasticnet|ridge|lasso|ols|logistic|gbdt */
  readonly model: string
  /** --param k=v, repeatable */
  readonly param?: readonly string[]
  /** --test-size, in (0, 1); default 0.2 */
  readonly testSize?: number | string
  /** --seed, a non-negative integer; default 42 */
  readonly seed?: number | string
  /** --experiment NAME; default 'Default' */
  readonly experiment?: string
  /** --register MODEL: register the logged model as a new version of MODEL */
  readonly register?: string
  /** --output DIR: also (or, without a tracking server, only) write the model directory here */
  readonly output?: string
  /** --run-name NAME */
  readonly runName?: string
  /** From config (MLFLOW_TRACKING_URI / WHARF_TRACKING_URI); undefined means no server. */
  readonly trackingUri?: string
  /** Bearer token for the tracking server, from config. */
  readonly token?: string
  /** Where progress and summary lines go; default stderr. */
  readonly log?: (line: string) => void
}

export interface TrainCommandResult {
  readonly task: 'regression' | 'classification'
  readonly metrics: Readonly<Record<string, number>>
  readonly params: Readonly<Record<string, string>>
  /** Where the model directory was written (undefined when only logged to the server). */
  readonly outputDir?: string
  readonly runId?: string
  readonly experimentId?: string
  /** `runs:/<run_id>/model` */
  readonly modelUri?: string
  readonly registeredVersion?: { readonly name: string; readonly version: string }
}

export interface ValidTrainOptions {
  readonly data: string
  readonly target: string
  readonly model: string
  readonly params: readonly string[]
  readonly testSize: number
  readonly seed: number
  readonly experiment: string
  readonly register: string | undefined
  readonly output: string | undefined
  readonly trackingUri: string | undefined
}

/** Checks options before any work is done and throws an error that names the bad flag. */
export function validateTrainOptions(options: TrainCommandOptions): ValidTrainOptions {
  if (!options.data) throw new Error('--data FILE.csv is required')
  if (!options.target) throw new Error('--target COLUMN is required')
  if (!algorithms.includes(options.model)) throw new Error(`--model must be one of ${algorithms.join(', ')}, got '${options.model}'`)
  const params = [...(options.param ?? [])]
  resolveParams(options.model, params) // throws on an unknown or malformed --param
  const testSize = options.testSize === undefined ? 0.2 : Number(options.testSize)
  if (!(testSize > 0 && testSize < 1)) throw new Error(`--test-size must be a number between 0 and 1 (exclusive), got '${options.testSize}'`)
  const seed = options.seed === undefined ? 42 : Number(options.seed)
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed must be a non-negative integer, got '${options.seed}'`)
  if (options.trackingUri === undefined && options.output === undefined) {
    throw new Error('no tracking server is configured: pass --output DIR, or set MLFLOW_TRACKING_URI')
  }
  if (options.register !== undefined && options.trackingUri === undefined) throw new Error('--register needs a tracking server (MLFLOW_TRACKING_URI)')
  return {
    data: options.data,
    target: options.target,
    model: options.model,
    params,
    testSize,
    seed,
    experiment: options.experiment ?? 'Default',
    register: options.register,
    output: options.output,
    trackingUri: options.trackingUri,
  }
}

/** `wharf train`: read, split, train, evaluate, write the model, and log it all to the tracking server. */
export async function runTrain(options: TrainCommandOptions): Promise<TrainCommandResult> {
  const valid = validateTrainOptions(options)
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const version = wharfVersion
  const table = await readCsvFile(valid.data)
  if (!table.columns.some((c) => c.name === valid.target)) {
    throw new Error(`--target '${valid.target}' is not a column of ${valid.data} (columns: ${table.columns.map((c) => c.name).join(', ')})`)
  }
  const split = trainTestSplit(table.rowCount, valid.testSize, valid.seed)
  const train = takeRows(table, split.train)
  const test = takeRows(table, split.test)
  const losses: Metric[] = []
  const started = Date.now()
  const trained = trainModel(train, valid.target, { algorithm: valid.model, params: valid.params, seed: valid.seed, onProgress: progressReporter(log, losses) })
  const metrics = evaluateModel(trained.spec, test, valid.target)
  const params = flatParams(valid, trained.params, table.rowCount, split.train.length)
  log(`${valid.model}: trained on ${split.train.length} rows in ${((Date.now() - started) / 1000).toFixed(1)} s; test ${formatMetrics(metrics)}`)
  const features = dropColumns(train, [valid.target])
  const profile = profileTable(features)
  const write = async (dir: string, runId?: string) => {
    await writeModelDir(dir, {
      onnx: exportOnnx(trained.spec, version),
      signature: signatureOf(trained.spec),
      inputExample: inputExampleOf(features),
      wharf: trained.spec,
      wharfVersion: version,
      ...(runId ? { runId, artifactPath: 'model' } : {}),
    })
    await writeFile(join(dir, 'data_profile.json'), JSON.stringify(profile, null, 2))
  }
  const base = { task: trained.task, metrics, params }
  if (valid.trackingUri === undefined) {
    const outputDir = resolve(valid.output!)
    await write(outputDir)
    log(`model written to ${outputDir}`)
    return { ...base, outputDir }
  }
  const client = new TrackingClient({ trackingUri: valid.trackingUri, ...(options.token ? { token: options.token } : {}) })
  const experimentId = await client.getOrCreateExperiment(valid.experiment)
  const tags: KeyValue[] = [
    { key: 'mlflow.source.name', value: 'wharf train' },
    { key: 'mlflow.source.type', value: 'LOCAL' },
    { key: 'wharf.model', value: valid.model },
  ]
  const run = await client.createRun(experimentId, { tags, startTime: started, ...(options.runName ? { runName: options.runName } : {}) })
  try {
    const now = Date.now()
    const finalMetrics: Metric[] = Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: now, step: 0 }))
    finalMetrics.push({ key: 'training_iterations', value: trained.iterations, timestamp: now, step: 0 })
    await client.logBatch(run.run_id, { params: Object.entries(params).map(([key, value]) => ({ key, value })), metrics: [...finalMetrics, ...losses] })
    const dir = valid.output !== undefined ? resolve(valid.output) : await mkdtemp(join(tmpdir(), 'wharf-train-'))
    try {
      await write(dir, run.run_id)
      await client.uploadArtifacts(run.artifact_uri, dir, 'model')
      await client.uploadArtifacts(run.artifact_uri, join(dir, 'data_profile.json'), 'data_profile.json')
    } finally {
      if (valid.output === undefined) await rm(dir, { recursive: true, force: true })
    }
    let registeredVersion: { name: string; version: string } | undefined
    if (valid.register !== undefined) {
      await client.createRegisteredModel(valid.register)
      const mv = await client.createModelVersion(valid.register, `${run.artifact_uri}/model`, run.run_id)
      registeredVersion = { name: mv.name, version: mv.version }
      log(`registered ${mv.name} version ${mv.version}`)
    }
    await client.updateRun(run.run_id, 'FINISHED')
    log(`run ${run.run_id} logged to experiment '${valid.experiment}' (${experimentId})`)
    return {
      ...base,
      runId: run.run_id,
      experimentId,
      modelUri: `runs:/${run.run_id}/model`,
      ...(valid.output ? { outputDir: resolve(valid.output) } : {}),
      ...(registeredVersion ? { registeredVersion } : {}),
    }
  } catch (err) {
    await client.updateRun(run.run_id, 'FAILED').catch(() => {})
    throw err
  }
}

/** Prints about ten progress lines per GBDT fit and keeps the loss curve to log as metric steps. */
function progressReporter(log: (line: string) => void, losses: Metric[]) {
  return (p: GbdtProgress) => {
    const now = Date.now()
    losses.push({ key: 'train_loss', value: p.trainLoss, timestamp: now, step: p.iteration })
    if (p.validationLoss !== undefined) losses.push({ key: 'validation_loss', value: p.validationLoss, timestamp: now, step: p.iteration })
    const every = Math.max(1, Math.floor(p.maxIter / 10))
    if (p.iteration % every === 0 || p.iteration === p.maxIter) {
      const valid = p.validationLoss === undefined ? '' : `, validation loss ${p.validationLoss.toPrecision(6)}`
      log(`gbdt: tree ${p.iteration}/${p.maxIter}, train loss ${p.trainLoss.toPrecision(6)}${valid}`)
    }
  }
}

function flatParams(valid: ValidTrainOptions, resolved: Record<string, unknown>, rows: number, trainRows: number): Record<string, string> {
  const out: Record<string, string> = {
    model: valid.model,
    target: valid.target,
    data: valid.data,
    test_size: String(valid.testSize),
    seed: String(valid.seed),
    rows: String(rows),
    train_rows: String(trainRows),
  }
  for (const [k, v] of Object.entries(resolved)) out[k] = v === null ? 'None' : String(v)
  return out
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${v.toPrecision(5)}`)
    .join(' ')
}

function signatureOf(spec: WharfModelSpec): Signature {
  const inputs: ColumnSpec[] = spec.columns.map((c) => ({ type: c.kind === 'numeric' ? 'double' : 'string', name: c.name, required: true }))
  const labelType = spec.classes?.every((c) => typeof c === 'number') ? 'long' : 'string'
  const outputs: ColumnSpec[] = outputNamesOf(spec).map((name) => ({ type: name === 'label' ? labelType : 'double', name, required: true }))
  return { inputs, outputs }
}

/** The first five training rows, missing values as null (pandas "split" orientation). */
function inputExampleOf(features: Table): InputExample {
  const n = Math.min(5, features.rowCount)
  const data = Array.from({ length: n }, (_, i) =>
    features.columns.map((c) => {
      const v = c.values[i]
      return v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : v
    }),
  )
  return { columns: features.columns.map((c) => c.name), data }
}
