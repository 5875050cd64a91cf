import type { ColumnValues } from '../models/index.js'
import { badRequest } from '../errors.js'
import { NumericSplitReader, type NumericSplit } from './split-json.js'

/** How a column's values are checked: MLflow column types folded to what JSON can carry. */
export type ValueKind = 'number' | 'integer' | 'string' | 'boolean' | 'any'

export interface ExpectedColumn {
  readonly name: string
  /** The MLflow type name, for messages (`double`, `long`, ...). */
  readonly type: string
  readonly kind: ValueKind
  readonly required: boolean
}

/** Validated input: one entry per expected column, in schema order (absent optional ones are all null). */
export interface ColumnBatch {
  readonly rowCount: number
  readonly columns: readonly ColumnValues[]
}

const kindByType: Readonly<Record<string, ValueKind>> = {
  double: 'number',
  float: 'number',
  integer: 'integer',
  long: 'integer',
  boolean: 'boolean',
  string: 'string',
}

export const kindOfType = (type: unknown): ValueKind => (typeof type === 'string' ? (kindByType[type] ?? 'any') : 'any')

const show = (v: unknown) => {
  const text = v === undefined ? 'nothing' : JSON.stringify(v)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)
/**
 * JSON and CSV readers turn a number too large for a double (1e400) into Infinity; scored, it came
 * back as a null prediction. Refused instead, as a bad value (issue #12).
 */
const overflow = (col: ExpectedColumn, row: number) => badRequest(`column '${col.name}' has a number that overflows a double (row ${row})`)

/**
 * Checks tabular input against the model's column schema and turns it into typed columns. Every
 * failure is a 400 that names the column (and row), never an exception from deeper down.
 */
export class InputSchema {
  readonly columns: readonly ExpectedColumn[]
  readonly #index: ReadonlyMap<string, number>
  readonly #numericCount: number
  /** Every column is a number: input read straight into typed arrays needs no per-value check. */
  readonly isAllNumeric: boolean
  /** The columns' names in order, one array for the schema's life (fromNumericSplit knows it by identity). */
  readonly columnNames: readonly string[]
  /** Reads numeric dataframe_split bodies from bytes; only for an all-numeric schema. */
  readonly splitReader: NumericSplitReader | undefined
  /** Positions of the last column list read (the reader hands back the same array for the same list). */
  #lastNames: readonly string[] | undefined
  #lastPositions: number[] = []

  constructor(columns: readonly ExpectedColumn[]) {
    this.columns = columns
    this.columnNames = columns.map((c) => c.name)
    this.#index = new Map(columns.map((c, i) => [c.name, i]))
    this.#numericCount = columns.filter((c) => c.kind === 'number').length
    this.isAllNumeric = columns.length > 0 && this.#numericCount === columns.length
    this.splitReader = this.isAllNumeric ? new NumericSplitReader() : undefined
  }

  /** pandas split orient: `columns` names the positions of each row in `data`. */
  fromSplit(columnNames: unknown, data: unknown): ColumnBatch {
    if (!Array.isArray(columnNames)) throw badRequest("dataframe_split needs 'columns', a list of column names")
    if (!Array.isArray(data)) throw badRequest("dataframe_split needs 'data', a list of rows")
    const positions = this.#positions(columnNames)
    const n = data.length
    if (n === 0) throw badRequest('the input has no rows (empty batch)')
    const out = this.#allocate(n)
    const width = columnNames.length
    for (let i = 0; i < n; i++) {
      const row: unknown = data[i]
      if (!Array.isArray(row)) throw badRequest(`row ${i} must be a list of ${width} values, got ${typeName(row)}`)
      if (row.length !== width) throw badRequest(`row ${i} has ${row.length} values, expected ${width} (one per column)`)
      for (let j = 0; j < width; j++) this.#put(out, positions[j]!, i, row[j])
    }
    return { rowCount: n, columns: out }
  }

  /**
   * The same request as `fromSplit`, already read into numbers (see split-json.ts); only for an
   * all-numeric schema. Same checks in the same order, so the same errors.
   */
  fromNumericSplit(split: NumericSplit, scratch?: ColumnScratch): ColumnBatch {
    if (!this.isAllNumeric) throw new Error('fromNumericSplit needs an all-numeric schema')
    if (split.columns !== this.#lastNames) {
      this.#lastPositions = this.#positions(split.columns)
      this.#lastNames = split.columns
    }
    const positions = this.#lastPositions
    const n = split.rowCount
    if (n === 0) throw badRequest('the input has no rows (empty batch)')
    const { width, values, offset } = split
    const k = this.columns.length
    const out = scratch?.take(k, n) ?? this.#numericColumns(k, n)
    // Optional columns the request leaves out are null (NaN), as in fromSplit.
    if (width < k) for (let c = 0; c < k; c++) if (!positions.includes(c)) out[c]!.fill(Number.NaN, 0, n)
    for (let j = 0; j < width; j++) {
      const column = out[positions[j]!]!
      for (let i = 0, k = offset + j; i < n; i++, k += width) column[i] = values[k]!
    }
    return { rowCount: n, columns: out }
  }

  /**
   * One array per column: subarrays of one allocation cost three times as much to make, which was
   * most of a one-row request's reading.
   */
  #numericColumns(k: number, n: number): Float64Array[] {
    const out = new Array<Float64Array>(k)
    for (let c = 0; c < k; c++) out[c] = new Float64Array(n)
    return out
  }

  /** pandas records orient (also `instances` as a list of objects). */
  fromRecords(records: readonly unknown[]): ColumnBatch {
    const n = records.length
    if (n === 0) throw badRequest('the input has no rows (empty batch)')
    const out = this.#allocate(n)
    for (let i = 0; i < n; i++) {
      const record = records[i]
      if (record === null || typeof record !== 'object' || Array.isArray(record))
        throw badRequest(`record ${i} must be an object of column values, got ${typeName(record)}`)
      let seen = 0
      for (const key in record) {
        const c = this.#index.get(key)
        if (c === undefined) throw badRequest(`unexpected column '${show(key).slice(1, -1)}' (record ${i}); the model takes ${this.#names()}`)
        this.#put(out, c, i, (record as Record<string, unknown>)[key])
        seen++
      }
      if (seen !== this.columns.length) this.#checkRequired(record as Record<string, unknown>, i)
    }
    return { rowCount: n, columns: out }
  }

  /** TF-serving columnar `inputs`: `{"col": [v, ...], ...}`; a scalar counts as one row. */
  fromColumnMap(map: Readonly<Record<string, unknown>>): ColumnBatch {
    const names = Object.keys(map)
    if (names.length === 0) throw badRequest('the input has no columns')
    const lists = names.map((k) => (Array.isArray(map[k]) ? (map[k] as unknown[]) : [map[k]]))
    const n = lists[0]!.length
    if (n === 0) throw badRequest('the input has no rows (empty batch)')
    lists.forEach((l, j) => {
      if (l.length !== n) throw badRequest(`column '${names[j]}' has ${l.length} values, expected ${n} like '${names[0]}'`)
    })
    const positions = this.#positions(names)
    const out = this.#allocate(n)
    for (let j = 0; j < names.length; j++) for (let i = 0; i < n; i++) this.#put(out, positions[j]!, i, lists[j]![i])
    return { rowCount: n, columns: out }
  }

  /** Rows given by position (`instances: [[...], ...]`, V1 predict, Azure `data`): schema order. */
  fromRows(rows: readonly unknown[]): ColumnBatch {
    return this.fromSplit(
      this.columns.map((c) => c.name),
      rows,
    )
  }

  #names(): string {
    const names = this.columns.map((c) => c.name)
    return names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ')
  }

  #positions(columnNames: readonly unknown[]): number[] {
    const positions = new Array<number>(columnNames.length)
    const seen = new Uint8Array(this.columns.length)
    for (let j = 0; j < columnNames.length; j++) {
      const name = columnNames[j]
      if (typeof name !== 'string') throw badRequest(`column names must be strings, got ${show(name)} at position ${j}`)
      const c = this.#index.get(name)
      if (c === undefined) throw badRequest(`unexpected column '${show(name).slice(1, -1)}'; the model takes ${this.#names()}`)
      if (seen[c]) throw badRequest(`column '${name}' is given twice`)
      seen[c] = 1
      positions[j] = c
    }
    for (let c = 0; c < this.columns.length; c++) {
      if (!seen[c] && this.columns[c]!.required) throw badRequest(`missing column '${this.columns[c]!.name}' (${this.columns[c]!.type})`)
    }
    return positions
  }

  #allocate(n: number): ColumnValues[] {
    // One backing buffer for every numeric column: fewer allocations per request.
    const numbers = this.#numericCount > 0 ? new Float64Array(n * this.#numericCount) : undefined
    let k = 0
    return this.columns.map((c) => (c.kind === 'number' ? numbers!.subarray(n * k, n * ++k).fill(Number.NaN) : new Array<unknown>(n).fill(null)))
  }

  /** Absent optional columns keep the null (NaN) they were allocated with. */
  #checkRequired(record: Record<string, unknown>, i: number): void {
    for (const c of this.columns) {
      if (c.required && !Object.hasOwn(record, c.name)) throw badRequest(`missing column '${c.name}' (${c.type}) in record ${i}`)
    }
  }

  #put(out: ColumnValues[], c: number, row: number, v: unknown): void {
    const col = this.columns[c]!
    switch (col.kind) {
      case 'number':
        if (typeof v === 'number') {
          if (v === Infinity || v === -Infinity) throw overflow(col, row)
          ;(out[c] as Float64Array)[row] = v
        } else if (v !== null) throw this.#wrongType(col, row, v)
        return
      case 'integer':
        if (v === Infinity || v === -Infinity) throw overflow(col, row)
        if (typeof v !== 'number' || !Number.isInteger(v)) throw this.#wrongType(col, row, v)
        break
      case 'string':
        if (typeof v !== 'string' && v !== null) throw this.#wrongType(col, row, v)
        break
      case 'boolean':
        if (typeof v !== 'boolean') throw this.#wrongType(col, row, v)
        break
      case 'any':
        if (v === undefined) throw this.#wrongType(col, row, v)
    }
    ;(out[c] as unknown[])[row] = v
  }

  #wrongType(col: ExpectedColumn, row: number, v: unknown) {
    return badRequest(`column '${col.name}' expects ${col.type}, got ${typeName(v)} ${show(v)} (row ${row})`)
  }
}

/**
 * Column arrays reused from one request to the next, for a caller that is done with a batch before
 * it reads the next one (the native evaluator scores synchronously). Making the columns afresh was
 * the largest cost left in reading a one-row request, and most of its garbage. The arrays can be
 * longer than the batch: only `rowCount` values of each are the request's.
 */
export class ColumnScratch {
  #columns: Float64Array[] = []

  /** Bigger batches get their own arrays rather than pinning their size here for good. */
  constructor(readonly maxRows = 4096) {}

  /** `k` arrays of at least `n` values, or undefined past maxRows (the caller allocates then). */
  take(k: number, n: number): Float64Array[] | undefined {
    if (n > this.maxRows) return undefined
    const capacity = this.#columns[0]?.length ?? 0
    if (n > capacity || this.#columns.length !== k) this.#columns = Array.from({ length: k }, () => new Float64Array(Math.max(n, capacity)))
    return this.#columns
  }
}
