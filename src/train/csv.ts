import { open } from 'node:fs/promises'
import { exactPowersOfTen as pow10, scaleDecimal } from './decimal-to-double.js'
import type { Column, Table } from './table.js'

export class CsvError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CsvError'
  }
}

export interface ReadCsvOptions {
  /** Bytes read from the file at a time (default 4 MiB). Tests pass tiny values to put chunk boundaries everywhere. */
  readonly highWaterMark?: number
}

const defaultChunkBytes = 4 << 20

/**
 * Reads a CSV file (header row, comma separated, RFC 4180 quoting) into a typed table.
 *
 * The file is read in chunks and parsed from the bytes straight into columns (numbers into
 * Float64Array blocks), so memory is about the size of the table rather than several times the
 * size of the file; the result is the same as `parseCsv` on the whole text.
 */
export async function readCsvFile(path: string, options: ReadCsvOptions = {}): Promise<Table> {
  const chunkBytes = Math.max(1, Math.floor(options.highWaterMark ?? defaultChunkBytes))
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const parser = new CsvParser(size)
    // buf[0, end) holds bytes not yet parsed: the start of a record that the last chunk cut off.
    let buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, size + 1)))
    let end = 0
    for (;;) {
      if (end === buf.length) {
        // One record is longer than the buffer: double it, so re-scanning that record stays linear.
        const bigger = Buffer.allocUnsafe(buf.length * 2)
        buf.copy(bigger, 0, 0, end)
        buf = bigger
      }
      const { bytesRead } = await handle.read(buf, end, buf.length - end, null)
      end += bytesRead
      const eof = bytesRead === 0
      const used = parser.feed(buf, 0, end, eof)
      if (eof) break
      if (used > 0) {
        buf.copyWithin(0, used, end)
        end -= used
      }
    }
    return parser.finish()
  } catch (err) {
    if (err instanceof CsvError) throw new CsvError(`${path}: ${err.message}`)
    throw err
  } finally {
    await handle.close()
  }
}

/**
 * Parses CSV text. A column is numeric when its first non-empty cell is a number; a later cell
 * that is not a number is then an error naming its line and column, rather than a silent switch
 * to strings that would turn a typo into a thousand one-hot features. Empty cells are missing.
 */
export function parseCsv(text: string): Table {
  const bytes = Buffer.from(text, 'utf8')
  const parser = new CsvParser(bytes.length)
  parser.feed(bytes, 0, bytes.length, true)
  return parser.finish()
}

const QUOTE = 0x22
/** ASCII whitespace as the cell trimming sees it: space, tab, newline, vertical tab, form feed, carriage return. */
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d)
const COMMA = 0x2c
const LF = 0x0a
const CR = 0x0d

const UNDECIDED = 0 // every cell so far is blank: values go to the number blocks as NaN
const NUMERIC = 1
const STRING = 2
const FAILED = 3 // numeric, then a non-number: the error is kept, the values no longer

class ColumnBuilder {
  kind = UNDECIDED
  /** Numeric storage in fixed-size blocks (no copying as the table grows); `cur` is the last. */
  blocks: Float64Array[] = []
  cur: Float64Array
  strings: (string | null)[] = []
  /** Whitespace-only cells of an undecided column, by row: a string column keeps them as they are. */
  blanks: Map<number, string> | undefined = undefined
  firstLine = 0
  error = ''

  constructor(
    readonly name: string,
    blockRows: number,
  ) {
    this.cur = new Float64Array(blockRows)
    this.blocks.push(this.cur)
  }
}

/**
 * An incremental CSV parser over UTF-8 bytes. `feed` parses the complete records in a buffer and
 * returns where the first incomplete one starts; the caller passes those bytes again with more.
 * Cells are typed as they arrive; errors are kept and thrown by `finish` in the order the
 * whole-text parser found them (unclosed quote, header, no rows, row length, then by column).
 */
class CsvParser {
  private line = 1 // the line the next record starts on
  private atStart = true
  private header: string[] | undefined
  private headerCells: string[] = []
  private columns: ColumnBuilder[] = []
  private ncols = 0
  private rows = 0
  private readonly blockRows: number
  private readonly blockMask: number
  /** An error that outranks every cell error (bad header, a row of the wrong length); cells are then skipped. */
  private fatal: CsvError | undefined
  private skipping = false
  /** The current buffer as latin1 text, made on demand for numbers too long for the fast path. */
  private text: string | undefined
  private textBuf: Uint8Array | undefined
  /** Where the number `scanNumber` parsed ends. */
  private stop = 0

  constructor(sizeHint: number) {
    // Blocks of a power of two rows: small for small inputs, 64 Ki rows (512 KiB) for large ones.
    let rows = 256
    while (rows < 65536 && rows * 64 < sizeHint) rows *= 2
    this.blockRows = rows
    this.blockMask = rows - 1
  }

  feed(buf: Buffer, pos: number, end: number, eof: boolean): number {
    this.text = undefined
    this.textBuf = undefined
    if (this.atStart) {
      if (end - pos < 3 && !eof) return pos
      if (end - pos >= 3 && buf[pos] === 0xef && buf[pos + 1] === 0xbb && buf[pos + 2] === 0xbf) pos += 3
      this.atStart = false
    }
    for (;;) {
      if (pos >= end) return pos
      const recordLine = this.line
      let line = recordLine
      let p = pos
      let n = 0
      for (;;) {
        const s = p
        let quoted = false
        if (p < end && buf[p] === QUOTE) {
          quoted = true
          p++
          for (;;) {
            if (p >= end) {
              if (!eof) return pos
              throw new CsvError(`line ${recordLine}: a quoted field is not closed`)
            }
            const c = buf[p]!
            if (c === QUOTE) {
              if (p + 1 < end) {
                if (buf[p + 1] === QUOTE) {
                  p += 2
                  continue
                }
              } else if (!eof) return pos
              p++
              break
            }
            if (c === LF) line++
            p++
          }
        }
        let stored = false
        if (!quoted && n < this.ncols && !this.skipping) {
          // The common case, a plain number in a numeric column, parsed in the same pass that finds its end.
          const col = this.columns[n]!
          if (col.kind === NUMERIC) {
            const value = this.scanNumber(buf, p, end)
            const q = this.stop
            if (value !== undefined) {
              const c = q < end ? buf[q]! : -1
              if (c === COMMA || c === LF || c === CR || (c === -1 && eof)) {
                col.cur[this.rows & this.blockMask] = value
                p = q
                stored = true
              }
            }
          }
        }
        if (!stored) {
          while (p < end) {
            const c = buf[p]!
            if (c === COMMA || c === LF || c === CR) break
            p++
          }
          if (p >= end && !eof) return pos
          if (!this.skipping) this.cell(buf, s, p, quoted, n, recordLine)
        }
        n++
        if (p >= end) {
          // The last record, without a line end.
          this.endRecord(n, n === 1 && (p === s || (quoted && p - s === 2)), recordLine)
          this.line = line
          return end
        }
        const c = buf[p]!
        if (c === COMMA) {
          p++
          continue
        }
        const blank = n === 1 && (p === s || (quoted && p - s === 2))
        if (c === CR) {
          if (p + 1 < end) {
            if (buf[p + 1] === LF) p++
          } else if (!eof) return pos
        }
        p++
        this.endRecord(n, blank, recordLine)
        this.line = line + 1
        pos = p
        break
      }
    }
  }

  /** Cell `j` of the record on `line`, bytes [s, e) (with its quotes when `quoted`), for row `this.rows`. */
  private cell(buf: Buffer, s: number, e: number, quoted: boolean, j: number, line: number): void {
    if (this.header === undefined) {
      this.headerCells[j] = cellText(buf, s, e, quoted)
      return
    }
    if (j >= this.ncols) return
    const col = this.columns[j]!
    const row = this.rows
    const kind = col.kind
    if (kind === NUMERIC) {
      if (!quoted) {
        const v = this.fastNumber(buf, s, e)
        if (v !== undefined) {
          col.cur[row & this.blockMask] = v
          return
        }
      }
      const text = cellText(buf, s, e, quoted)
      if (text.trim() === '') {
        col.cur[row & this.blockMask] = Number.NaN
        return
      }
      const v = parseNumber(text)
      if (v === undefined) {
        col.error = `line ${line}, column '${col.name}': '${text}' is not a number (the column is numeric from line ${col.firstLine})`
        col.kind = FAILED
        col.blocks = []
        return
      }
      col.cur[row & this.blockMask] = v
    } else if (kind === STRING) {
      const text = s === e ? '' : cellText(buf, s, e, quoted)
      col.strings[row] = text === '' ? null : text
    } else if (kind === UNDECIDED) {
      if (s === e) {
        col.cur[row & this.blockMask] = Number.NaN
        return
      }
      const text = cellText(buf, s, e, quoted)
      if (text.trim() === '') {
        col.cur[row & this.blockMask] = Number.NaN
        if (text !== '') {
          col.blanks ??= new Map()
          col.blanks.set(row, text)
        }
        return
      }
      const v = parseNumber(text)
      if (v !== undefined) {
        col.kind = NUMERIC
        col.firstLine = line
        col.cur[row & this.blockMask] = v
        return
      }
      col.kind = STRING
      const strings: (string | null)[] = []
      for (let r = 0; r < row; r++) strings.push(col.blanks?.get(r) ?? null)
      strings.push(text)
      col.strings = strings
      col.blocks = []
      col.blanks = undefined
    }
  }

  /**
   * The value of an unquoted plain ASCII decimal cell, exactly as `Number` gives it; NaN for a blank
   * (ASCII whitespace) cell; undefined when the general path must decide (other characters, inf, nan...).
   */
  private fastNumber(buf: Buffer, s: number, e: number): number | undefined {
    while (s < e && isSpace(buf[s]!)) s++
    if (s === e) return Number.NaN
    while (isSpace(buf[e - 1]!)) e--
    const value = this.scanNumber(buf, s, e)
    return this.stop === e ? value : undefined
  }

  /**
   * A plain decimal number (sign, digits, point, exponent) starting at byte s, parsed no further
   * than e: its value, with the index of the first byte after it in `stop`; undefined when there
   * is no such number at s or the general path must decide.
   */
  private scanNumber(buf: Buffer, s: number, e: number): number | undefined {
    let i = s
    let negative = false
    if (i < e) {
      const c = buf[i]!
      if (c === 0x2d) {
        negative = true
        i++
      } else if (c === 0x2b) i++
    }
    // The significant digits, up to 17 (all a double needs), as two exact integers: the first 9
    // in `high`, the rest in `low`; the decimal exponent is tracked apart.
    let high = 0
    let low = 0
    let digits = 0
    let exponent = 0
    let sawDigit = false
    let long = false
    for (; i < e; i++) {
      const d = buf[i]! - 48
      if (d < 0 || d > 9) break
      sawDigit = true
      if (digits === 0 && d === 0) continue
      if (digits < 9) high = high * 10 + d
      else if (digits < 17) low = low * 10 + d
      else {
        long = true
        continue
      }
      digits++
    }
    if (i < e && buf[i] === 0x2e) {
      for (i++; i < e; i++) {
        const d = buf[i]! - 48
        if (d < 0 || d > 9) break
        sawDigit = true
        if (digits === 0 && d === 0) {
          exponent--
          continue
        }
        if (digits < 9) high = high * 10 + d
        else if (digits < 17) low = low * 10 + d
        else {
          long = true
          continue
        }
        digits++
        exponent--
      }
    }
    if (!sawDigit) return undefined
    if (i < e && (buf[i]! | 0x20) === 0x65) {
      i++
      let negativeExponent = false
      if (i < e && (buf[i] === 0x2d || buf[i] === 0x2b)) negativeExponent = buf[i++] === 0x2d
      const start = i
      let value = 0
      for (; i < e; i++) {
        const d = buf[i]! - 48
        if (d < 0 || d > 9) break
        if (value < 100000) value = value * 10 + d
      }
      if (i === start) return undefined
      exponent += negativeExponent ? -value : value
    }
    this.stop = i
    if (digits === 0) return negative ? -0 : 0
    if (long || exponent > 22 || exponent < -22) return Number(this.ascii(buf, s, i))
    let value: number | undefined
    if (digits <= 15) {
      // An exact integer below 2^53 and an exact power of ten: one operation rounds correctly.
      const mantissa = digits > 9 ? high * pow10[digits - 9]! + low : high
      value = exponent >= 0 ? mantissa * pow10[exponent]! : mantissa / pow10[-exponent]!
    } else {
      value = scaleDecimal(high * pow10[digits - 9]!, low, exponent)
      if (value === undefined) return Number(this.ascii(buf, s, i))
    }
    return negative ? -value : value
  }

  /** Bytes [s, e) of the current buffer, all ASCII, as a string (a slice of one latin1 copy of the buffer). */
  private ascii(buf: Buffer, s: number, e: number): string {
    if (this.textBuf !== buf || this.text === undefined) {
      this.text = buf.toString('latin1')
      this.textBuf = buf
    }
    return this.text.slice(s, e)
  }

  private endRecord(n: number, blank: boolean, line: number): void {
    if (blank) return
    if (this.header === undefined) {
      this.headerCells.length = n
      this.startTable(this.headerCells.map((h) => h.trim()))
      return
    }
    if (this.skipping) return
    if (n !== this.ncols) {
      this.fail(new CsvError(`line ${line} has ${n} fields, expected ${this.ncols} as in the header`))
      return
    }
    this.rows++
    if ((this.rows & this.blockMask) === 0) {
      for (const col of this.columns) {
        if (col.kind === UNDECIDED || col.kind === NUMERIC) {
          col.cur = new Float64Array(this.blockRows)
          col.blocks.push(col.cur)
        }
      }
    }
  }

  private startTable(names: string[]): void {
    this.header = names
    const seen = new Set<string>()
    for (const name of names) {
      if (name === '') {
        this.fail(new CsvError('the header has an empty column name'))
        return
      }
      if (seen.has(name)) {
        this.fail(new CsvError(`the header names column '${name}' twice`))
        return
      }
      seen.add(name)
    }
    this.ncols = names.length
    this.columns = names.map((name) => new ColumnBuilder(name, this.blockRows))
  }

  private fail(error: CsvError): void {
    this.fatal = error
    this.skipping = true
    this.columns = []
  }

  finish(): Table {
    if (this.header === undefined) throw new CsvError('the file is empty (no header row)')
    if (this.fatal !== undefined) throw this.fatal
    const rowCount = this.rows
    if (rowCount === 0) throw new CsvError('the file has a header but no data rows')
    const failed = this.columns.find((c) => c.kind === FAILED)
    if (failed !== undefined) throw new CsvError(failed.error)
    const columns = this.columns.map((col): Column => {
      if (col.kind === STRING) {
        col.strings.length = rowCount
        return { name: col.name, kind: 'string', values: col.strings }
      }
      const values = new Float64Array(rowCount)
      for (let b = 0; b < col.blocks.length; b++) {
        const start = b * this.blockRows
        const block = col.blocks[b]!
        values.set(start + block.length <= rowCount ? block : block.subarray(0, rowCount - start), start)
      }
      col.blocks = []
      return { name: col.name, kind: 'numeric', values }
    })
    this.columns = []
    return { columns, rowCount }
  }
}

/** The text of a cell from its bytes: UTF-8, and for a quoted cell without the quotes and with "" as ". */
function cellText(buf: Buffer, s: number, e: number, quoted: boolean): string {
  const raw = buf.toString('utf8', s, e)
  if (!quoted) return raw
  // The field opened at raw[0] and is closed (an unclosed one is an error); what follows the
  // closing quote is kept as it is.
  let text = ''
  let i = 1
  for (;;) {
    const q = raw.indexOf('"', i)
    text += raw.slice(i, q)
    if (raw.charCodeAt(q + 1) === QUOTE) {
      text += '"'
      i = q + 2
    } else {
      i = q + 1
      break
    }
  }
  return text + raw.slice(i)
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
