/** One column of input values. Typed arrays are used as they are, without copying, where possible. */
export type ColumnValues = Float64Array | Float32Array | readonly (number | null)[] | readonly (string | null)[] | readonly unknown[]

/**
 * What `predict` accepts: columns by name (the fast path), records, pandas "split" rows (the MLflow
 * scoring protocol's `dataframe_split`), or raw named tensors for tensor-based models.
 */
export type ModelInput =
  | { readonly columns: Readonly<Record<string, ColumnValues>> }
  | { readonly records: readonly Readonly<Record<string, unknown>>[] }
  | { readonly columnNames: readonly string[]; readonly data: readonly (readonly unknown[])[] }
  | { readonly tensors: Readonly<Record<string, { readonly data: ArrayLike<unknown>; readonly dims: readonly number[] }>> }

/** Columnar view of an input: names in the order given and a row count checked across columns. */
export interface ColumnarInput {
  readonly names: readonly string[]
  readonly rowCount: number
  get(name: string): ColumnValues | undefined
}

export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

export function toColumnar(input: ModelInput): ColumnarInput {
  if ('columns' in input) {
    const names = Object.keys(input.columns)
    const rowCount = names.length === 0 ? 0 : input.columns[names[0]!]!.length
    for (const name of names) {
      if (input.columns[name]!.length !== rowCount) throw new InputError(`column '${name}' has ${input.columns[name]!.length} values, expected ${rowCount}`)
    }
    return { names, rowCount, get: (name) => input.columns[name] }
  }
  if ('records' in input) {
    const names = input.records.length === 0 ? [] : Object.keys(input.records[0]!)
    const cache = new Map<string, unknown[]>()
    return {
      names,
      rowCount: input.records.length,
      get(name) {
        let col = cache.get(name)
        if (col === undefined) {
          if (!input.records.every((r) => Object.hasOwn(r, name))) return undefined
          col = input.records.map((r) => r[name])
          cache.set(name, col)
        }
        return col
      },
    }
  }
  if ('columnNames' in input) {
    const index = new Map(input.columnNames.map((n, j) => [n, j]))
    for (const [i, row] of input.data.entries()) {
      if (row.length !== input.columnNames.length) throw new InputError(`row ${i} has ${row.length} values, expected ${input.columnNames.length}`)
    }
    return {
      names: input.columnNames,
      rowCount: input.data.length,
      get: (name) => {
        const j = index.get(name)
        return j === undefined ? undefined : input.data.map((row) => row[j])
      },
    }
  }
  throw new InputError('tensor input has no columns')
}

/** A numeric column as float64 (NaN for null/missing); Float64Array inputs are returned as is. */
export function toFloat64(name: string, values: ColumnValues): Float64Array {
  if (values instanceof Float64Array) return values
  const out = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) out[i] = Number.NaN
    else if (typeof v === 'number') out[i] = v
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0
    else throw new InputError(`column '${name}' row ${i}: expected a number, got ${JSON.stringify(v)}`)
  }
  return out
}

export function toStrings(name: string, values: ColumnValues): (string | null)[] {
  const out = new Array<string | null>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) out[i] = null
    else if (typeof v === 'string') out[i] = v
    else if (typeof v === 'number' || typeof v === 'boolean') out[i] = String(v)
    else throw new InputError(`column '${name}' row ${i}: expected a string, got ${JSON.stringify(v)}`)
  }
  return out
}
