import type { InputSchema, ColumnBatch } from './input-schema.js'
import { badRequest } from '../errors.js'

/**
 * Parses a `text/csv` scoring body as pandas.read_csv would for MLflow (header row, RFC 4180
 * quoting), then converts each cell by its column's type: numbers for numeric columns (an empty
 * cell is missing), true/false for booleans, text otherwise.
 */
export function batchFromCsv(text: string, schema: InputSchema): ColumnBatch {
  const rows = parseCsv(text)
  if (rows.length === 0) throw badRequest('the CSV body has no header row')
  const header = rows[0]!
  const data = rows.slice(1)
  if (data.length === 0) throw badRequest('the CSV body has no rows (empty batch)')
  const kinds = header.map((name) => schema.columns.find((c) => c.name === name)?.kind ?? 'any')
  const converted = data.map((row, i) => {
    if (row.length !== header.length) throw badRequest(`CSV row ${i + 1} has ${row.length} fields, expected ${header.length}`)
    return row.map((cell, j) => convertCell(cell, kinds[j]!, header[j]!, i))
  })
  return schema.fromSplit(header, converted)
}

function convertCell(cell: string, kind: string, name: string, row: number): unknown {
  if (kind === 'number' || kind === 'integer') {
    if (cell.trim() === '') return null
    const n = Number(cell)
    if (Number.isNaN(n) && cell.trim().toLowerCase() !== 'nan')
      throw badRequest(`column '${name}' expects a number, got ${JSON.stringify(cell.slice(0, 40))} (row ${row})`)
    return n
  }
  if (kind === 'boolean') {
    const lower = cell.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
    throw badRequest(`column '${name}' expects true or false, got ${JSON.stringify(cell.slice(0, 40))} (row ${row})`)
  }
  return cell
}

/** RFC 4180 records; a blank last line is dropped. Throws 400 on an unterminated quote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let i = 0
  const n = text.length
  let fieldStart = true
  while (i < n) {
    const ch = text[i]!
    if (fieldStart && ch === '"') {
      i++
      let closed = false
      while (i < n) {
        const q = text[i]!
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          closed = true
          break
        }
        field += q
        i++
      }
      if (!closed) throw badRequest('malformed CSV: a quoted field is not closed')
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') throw badRequest('malformed CSV: text after a closing quote')
      fieldStart = false
      continue
    }
    if (ch === ',') {
      row.push(field)
      field = ''
      fieldStart = true
    } else if (ch === '\n' || ch === '\r') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      fieldStart = true
      if (ch === '\r' && text[i + 1] === '\n') i++
    } else {
      field += ch
      fieldStart = false
    }
    i++
  }
  if (!fieldStart || field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''))
}
