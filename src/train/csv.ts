import { readFile } from 'node:fs/promises'
import type { Column, Table } from './table.js'

export class CsvError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CsvError'
  }
}

/** Reads a CSV file (header row, comma separated, RFC 4180 quoting) into a typed table. */
export async function readCsvFile(path: string): Promise<Table> {
  const text = await readFile(path, 'utf8')
  try {
    return parseCsv(text)
  } catch (err) {
    if (err instanceof CsvError) throw new CsvError(`${path}: ${err.message}`)
    throw err
  }
}

/**
 * Parses CSV text. A column is numeric when its first non-empty cell is a number; a later cell
 * that is not a number is then an error naming its line and column, rather than a silent switch
 * to strings that would turn a typo into a thousand one-hot features. Empty cells are missing.
 */
export function parseCsv(text: string): Table {
  const records = splitRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  const header = records[0]
  if (header === undefined || (header.cells.length === 1 && header.cells[0] === '')) {
    throw new CsvError('the file is empty (no header row)')
  }
  const names = header.cells.map((h) => h.trim())
  const seen = new Set<string>()
  for (const name of names) {
    if (name === '') throw new CsvError('the header has an empty column name')
    if (seen.has(name)) throw new CsvError(`the header names column '${name}' twice`)
    seen.add(name)
  }
  const rows = records.slice(1)
  if (rows.length === 0) throw new CsvError('the file has a header but no data rows')
  for (const row of rows) {
    if (row.cells.length !== names.length) {
      throw new CsvError(`line ${row.line} has ${row.cells.length} fields, expected ${names.length} as in the header`)
    }
  }
  const columns = names.map((name, j) => toColumn(name, j, rows))
  return { columns, rowCount: rows.length }
}

interface CsvRecord {
  readonly cells: string[]
  readonly line: number
}

function toColumn(name: string, j: number, rows: readonly CsvRecord[]): Column {
  const first = rows.find((r) => r.cells[j]!.trim() !== '')
  if (first !== undefined && parseNumber(first.cells[j]!) === undefined) {
    return { name, kind: 'string', values: rows.map((r) => (r.cells[j] === '' ? null : r.cells[j]!)) }
  }
  const values = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const cell = rows[i]!.cells[j]!
    if (cell.trim() === '') {
      values[i] = Number.NaN
      continue
    }
    const value = parseNumber(cell)
    if (value === undefined) {
      throw new CsvError(
        `line ${rows[i]!.line}, column '${name}': '${cell}' is not a number (the column is numeric from line ${first!.line})`,
      )
    }
    values[i] = value
  }
  return { name, kind: 'numeric', values }
}

const numberPattern = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i

function parseNumber(cell: string): number | undefined {
  const s = cell.trim()
  if (!numberPattern.test(s)) return undefined
  const lower = s.toLowerCase().replace(/^\+/, '')
  if (lower === 'nan' || lower === '-nan') return Number.NaN
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity
  return Number(s)
}

/** RFC 4180 records, with the 1-based line each starts on. Blank lines are skipped. */
function splitRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let recordLine = 1
  let i = 0
  const endRecord = () => {
    cells.push(cell)
    if (!(cells.length === 1 && cells[0] === '')) records.push({ cells, line: recordLine })
    cells = []
    cell = ''
  }
  while (i < text.length) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i++
        } else quoted = false
      } else {
        if (ch === '\n') line++
        cell += ch
      }
    } else if (ch === '"' && cell === '') quoted = true
    else if (ch === ',') {
      cells.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      endRecord()
      line++
      recordLine = line
    } else cell += ch
    i++
  }
  if (quoted) throw new CsvError(`line ${recordLine}: a quoted field is not closed`)
  if (cell !== '' || cells.length > 0) endRecord()
  return records
}
