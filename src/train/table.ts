/**
 * A column-oriented table: what the CSV reader produces and the trainers consume.
 * Numeric columns are Float64Array with NaN for a missing cell; string columns keep `null` for one.
 */
export type Column =
  | { readonly name: string; readonly kind: 'numeric'; readonly values: Float64Array }
  | { readonly name: string; readonly kind: 'string'; readonly values: readonly (string | null)[] }

export interface Table {
  readonly columns: readonly Column[]
  readonly rowCount: number
}

export function findColumn(table: Table, name: string): Column {
  const column = table.columns.find((c) => c.name === name)
  if (column === undefined) {
    const names = table.columns.map((c) => c.name).join(', ')
    throw new Error(`column '${name}' is not in the data (columns: ${names})`)
  }
  return column
}

/** The rows at `indices`, in that order, as a new table. */
export function takeRows(table: Table, indices: ArrayLike<number>): Table {
  const columns = table.columns.map((c): Column => {
    if (c.kind === 'numeric') {
      const values = new Float64Array(indices.length)
      for (let i = 0; i < indices.length; i++) values[i] = c.values[indices[i]!]!
      return { name: c.name, kind: 'numeric', values }
    }
    const values = new Array<string | null>(indices.length)
    for (let i = 0; i < indices.length; i++) values[i] = c.values[indices[i]!] ?? null
    return { name: c.name, kind: 'string', values }
  })
  return { columns, rowCount: indices.length }
}

/** The table without the named columns. */
export function dropColumns(table: Table, names: readonly string[]): Table {
  return { columns: table.columns.filter((c) => !names.includes(c.name)), rowCount: table.rowCount }
}
