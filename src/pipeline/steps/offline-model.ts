import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { loadModel, type LoadedModel } from '../../models/index.js'
import { resolveModel } from '../../serving/index.js'
import { dropColumns, readCsvFile, takeRows, trainTestSplit, type Table } from '../../train/index.js'
import type { StepContext } from '../step-context.js'

/** Rows in pandas "split" orientation, as the MLflow scoring protocol's `dataframe_split` carries them. */
export interface SplitRows {
  readonly columns: readonly string[]
  readonly data: readonly (readonly unknown[])[]
}

export interface Holdout {
  readonly rows: SplitRows
  /** The target column's values, for metrics. */
  readonly target: readonly (number | string | null)[]
}

/**
 * The rows `wharf train` held out of the same CSV (same test size and seed), so challenger and
 * champion, offline and online, are all judged on data the challenger did not see.
 */
export async function readHoldout(
  ctx: StepContext,
  spec: { data: string; target: string; test_size: number; seed: number; max_rows: number },
): Promise<Holdout> {
  const table = await readCsvFile(resolve(ctx.dir, spec.data))
  if (!table.columns.some((c) => c.name === spec.target)) throw new Error(`target '${spec.target}' is not a column of ${spec.data}`)
  const split = trainTestSplit(table.rowCount, spec.test_size, spec.seed)
  const held = takeRows(table, split.test.slice(0, spec.max_rows))
  const target = held.columns.find((c) => c.name === spec.target)!
  return { rows: toSplitRows(dropColumns(held, [spec.target])), target: Array.from(target.values as ArrayLike<number | string | null>) }
}

function toSplitRows(table: Table): SplitRows {
  const data = Array.from({ length: table.rowCount }, (_, i) =>
    table.columns.map((c) => {
      const v = c.values[i]
      return v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : v
    }),
  )
  return { columns: table.columns.map((c) => c.name), data }
}

/** Downloads a registered version through the server (verified cache) and loads it for offline predictions. */
export async function loadVersion(ctx: StepContext, model: string, version: string): Promise<LoadedModel> {
  const resolved = await resolveModel(`models:/${model}/${version}`, {
    trackingUri: ctx.connection.trackingUri,
    token: ctx.connection.token,
    cacheDir: ctx.modelCacheDir,
  })
  return loadModel(resolved.dir)
}

/** The model's saved input example (MLmodel `saved_input_example_info`), if it has one. */
export async function inputExampleOf(model: LoadedModel): Promise<SplitRows | undefined> {
  const info = model.mlmodel['saved_input_example_info'] as { artifact_path?: string } | undefined
  if (!info) return undefined
  const name = typeof info.artifact_path === 'string' && /^[\w.-]+$/.test(info.artifact_path) ? info.artifact_path : 'input_example.json'
  const parsed = JSON.parse(await readFile(join(model.dir, name), 'utf8')) as { columns?: string[]; data?: unknown[][]; dataframe_split?: SplitRows }
  const rows = parsed.dataframe_split ?? parsed
  return Array.isArray(rows.columns) && Array.isArray(rows.data) ? { columns: rows.columns, data: rows.data } : undefined
}

/** Offline predictions as the scoring endpoint returns them: regression values or class labels. */
export async function predictRows(model: LoadedModel, rows: SplitRows): Promise<(number | string)[]> {
  const p = await model.predict({ columnNames: rows.columns, data: rows.data })
  if (p.task === 'regression' && p.values) return Array.from(p.values)
  if (p.task === 'classification' && p.labels) return [...p.labels]
  throw new Error('the model gives neither regression values nor class labels; the test and gate steps need one of them')
}

/** RMSE / MAE for regression, accuracy for classification. */
export function scorePredictions(
  metric: 'rmse' | 'mae' | 'accuracy',
  predicted: readonly (number | string)[],
  actual: readonly (number | string | null)[],
): number {
  const n = Math.min(predicted.length, actual.length)
  if (n === 0) throw new Error('no held-out rows to score')
  let sum = 0
  for (let i = 0; i < n; i++) {
    if (metric === 'accuracy') sum += String(predicted[i]) === String(actual[i]) ? 1 : 0
    else {
      const d = Number(predicted[i]) - Number(actual[i])
      sum += metric === 'rmse' ? d * d : Math.abs(d)
    }
  }
  return metric === 'rmse' ? Math.sqrt(sum / n) : sum / n
}
