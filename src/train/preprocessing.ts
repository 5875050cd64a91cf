import { featureCountOf, type FeatureColumn } from '../models/index.js'
import type { Table } from './table.js'

export type { FeatureColumn }

export interface Preprocessing {
  readonly columns: readonly FeatureColumn[]
  readonly featureCount: number
}

/** Features as a column-major n × p matrix (column j is data[j*rows .. (j+1)*rows)). */
export interface Matrix {
  readonly rows: number
  readonly cols: number
  readonly data: Float64Array
}

export interface PreprocessingOptions {
  /** Standardise numeric columns to zero mean and unit variance (population std, as StandardScaler). */
  readonly standardize: boolean
  /** Replace missing numeric values with the training mean (as SimpleImputer). */
  readonly impute: boolean
}

export function fitPreprocessing(features: Table, options: PreprocessingOptions): Preprocessing {
  const columns = features.columns.map((c): FeatureColumn => {
    if (c.kind === 'string') {
      const categories = [...new Set(c.values.filter((v): v is string => v !== null))].sort()
      return { name: c.name, kind: 'string', categories }
    }
    // Indexed loops: for-of over a typed array is several times slower here (1M-row columns).
    const values = c.values
    let n = 0
    let sum = 0
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (!Number.isNaN(v)) (n++, (sum += v))
    }
    const mean = n === 0 ? 0 : sum / n
    let ss = 0
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (!Number.isNaN(v)) ss += (v - mean) ** 2
    }
    // Imputed cells sit at the mean, so they add nothing to the variance (as SimpleImputer then StandardScaler).
    const std = Math.sqrt(ss / Math.max(1, options.impute ? c.values.length : n))
    return {
      name: c.name,
      kind: 'numeric',
      impute: options.impute ? mean : null,
      center: options.standardize ? mean : 0,
      scale: options.standardize && std > 0 ? std : 1,
    }
  })
  return { columns, featureCount: featureCountOf(columns) }
}

/** Names of the model features, e.g. `age`, `colour=red`. */
export function featureNames(p: Preprocessing): string[] {
  return p.columns.flatMap((c) => (c.kind === 'numeric' ? [c.name] : c.categories.map((k) => `${c.name}=${k}`)))
}

export function transform(p: Preprocessing, table: Table): Matrix {
  const rows = table.rowCount
  const data = new Float64Array(rows * p.featureCount)
  let j = 0
  for (const spec of p.columns) {
    const column = table.columns.find((c) => c.name === spec.name)
    if (column === undefined) throw new Error(`column '${spec.name}' is missing`)
    if (spec.kind === 'numeric') {
      if (column.kind !== 'numeric') throw new Error(`column '${spec.name}' must be numeric`)
      const out = data.subarray(j * rows, (j + 1) * rows)
      for (let i = 0; i < rows; i++) {
        let v = column.values[i]!
        if (Number.isNaN(v) && spec.impute !== null) v = spec.impute
        out[i] = (v - spec.center) / spec.scale
      }
      j++
    } else {
      const index = new Map(spec.categories.map((k, i) => [k, i]))
      for (let i = 0; i < rows; i++) {
        const v = column.values[i]
        const k = v === null || v === undefined ? undefined : index.get(String(v))
        if (k !== undefined) data[(j + k) * rows + i] = 1
      }
      j += spec.categories.length
    }
  }
  return { rows, cols: p.featureCount, data }
}
