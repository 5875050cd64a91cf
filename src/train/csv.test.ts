import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CsvError, parseCsv, readCsvFile } from './csv.js'
import { scaleDecimal } from './decimal-to-double.js'
import type { Column, Table } from './table.js'
import { tempDir } from '../testing/fixtures.js'

describe('parseCsv', () => {
  it('infers numeric and string columns and keeps empty cells as missing', () => {
    const t = parseCsv('a,b,c\n1,x,\n2.5,,3\n-1e3,"y, z",4\n')
    assert.equal(t.rowCount, 3)
    const [a, b, c] = t.columns
    assert.equal(a!.kind, 'numeric')
    assert.deepEqual(Array.from(a!.values as Float64Array), [1, 2.5, -1000])
    assert.equal(b!.kind, 'string')
    assert.deepEqual(b!.values, ['x', null, 'y, z'])
    assert.equal(c!.kind, 'numeric')
    assert.ok(Number.isNaN((c!.values as Float64Array)[0]))
  })

  it('reads quoted fields with escaped quotes, CRLF line ends and a BOM', () => {
    const t = parseCsv('\ufeffname,n\r\n"say ""hi""",1\r\n"two\nlines",2\r\n')
    assert.deepEqual(t.columns[0]!.values, ['say "hi"', 'two\nlines'])
    assert.deepEqual(Array.from(t.columns[1]!.values as Float64Array), [1, 2])
  })

  it('rejects an empty file', () => {
    assert.throws(() => parseCsv(''), /empty/)
    assert.throws(() => parseCsv('\n\n'), /empty/)
  })

  it('rejects a header without data rows', () => {
    assert.throws(() => parseCsv('a,b\n'), /no data rows/)
  })

  it('rejects a row of the wrong length naming its line', () => {
    assert.throws(
      () => parseCsv('a,b\n1,2\n3\n'),
      (err: Error) => err instanceof CsvError && /line 3 has 1 fields, expected 2/.test(err.message),
    )
  })

  it('rejects a non-numeric value in a numeric column naming the line and column', () => {
    assert.throws(() => parseCsv('x,y\n1,2\n3,oops\n'), /line 3, column 'y': 'oops' is not a number/)
  })

  it('rejects duplicate column names', () => {
    assert.throws(() => parseCsv('a,a\n1,2\n'), /twice/)
  })
})

let dir = ''
before(async () => {
  dir = await tempDir('csv')
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

let fileCount = 0
async function csvFile(content: string | Buffer): Promise<string> {
  const file = join(dir, `t${fileCount++}.csv`)
  await writeFile(file, content)
  return file
}

/** A table as plain data, with NaN and -0 kept distinct, for deepEqual. */
function plain(table: Table): unknown {
  return {
    rowCount: table.rowCount,
    columns: table.columns.map((c: Column) => ({
      name: c.name,
      kind: c.kind,
      values: c.kind === 'numeric' ? Array.from(c.values, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v)) : [...c.values],
    })),
  }
}

/** The outcome of parsing: the table, or the error's class and message. */
function outcome(parse: () => Table): unknown {
  try {
    return plain(parse())
  } catch (err) {
    return { error: (err as Error).name, message: (err as Error).message }
  }
}

async function fileOutcome(file: string, highWaterMark?: number): Promise<unknown> {
  try {
    return plain(await readCsvFile(file, highWaterMark === undefined ? {} : { highWaterMark }))
  } catch (err) {
    // readCsvFile puts the path in front of parse errors; compare the rest.
    const message = (err as Error).message
    return { error: (err as Error).name, message: message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message }
  }
}

describe('readCsvFile', () => {
  const text = '\ufeffid,name,x\r\n1,"a, ""b""",0.1\r\n22,"two\nlines",-1.5e-3\r\n333,plain,12345.678901234567\r\n'
  const expected = {
    rowCount: 3,
    columns: [
      { name: 'id', kind: 'numeric', values: [1, 22, 333] },
      { name: 'name', kind: 'string', values: ['a, "b"', 'two\nlines', 'plain'] },
      { name: 'x', kind: 'numeric', values: [0.1, -1.5e-3, 12345.678901234567] },
    ],
  }

  it('reads a file like parseCsv reads its text', async () => {
    const file = await csvFile(text)
    assert.deepEqual(await fileOutcome(file), expected)
    assert.deepEqual(
      await fileOutcome(file),
      outcome(() => parseCsv(text)),
    )
  })

  it('handles a chunk boundary inside a number', async () => {
    // 'id,name,x\r\n1,"a, ""b""",0.' | '1...': the first chunk ends in the middle of 0.1.
    const file = await csvFile(text)
    const cut = Buffer.from(text).indexOf('0.1') + 2
    assert.deepEqual(await fileOutcome(file, cut), expected)
    assert.deepEqual(await fileOutcome(await csvFile('v\n12345.678901234567\n'), 9), {
      rowCount: 1,
      columns: [{ name: 'v', kind: 'numeric', values: [12345.678901234567] }],
    })
  })

  it('handles a chunk boundary inside a quoted field, at its escaped quotes and at its newline', async () => {
    const file = await csvFile(text)
    const bytes = Buffer.from(text)
    for (const cut of [bytes.indexOf('"a,') + 2, bytes.indexOf('""b') + 1, bytes.indexOf('two\n') + 4]) {
      assert.deepEqual(await fileOutcome(file, cut), expected, `chunk of ${cut} bytes`)
    }
  })

  it('handles a chunk boundary between CR and LF', async () => {
    const crlf = 'a,b\r\n1,2\r\n3,4\r\n'
    const file = await csvFile(crlf)
    const result = {
      rowCount: 2,
      columns: [
        { name: 'a', kind: 'numeric', values: [1, 3] },
        { name: 'b', kind: 'numeric', values: [2, 4] },
      ],
    }
    assert.deepEqual(await fileOutcome(file, crlf.indexOf('\r') + 1), result)
    assert.deepEqual(await fileOutcome(file, crlf.indexOf('\r', 6) + 1), result)
    // A bare CR ends a line on its own: the line numbers in errors must not change with the chunking.
    const bad = await csvFile('a,b\r1,2\r\r\n3,x\r\n')
    for (let size = 1; size <= 16; size++) {
      assert.deepEqual(await fileOutcome(bad, size), {
        error: 'CsvError',
        message: "line 4, column 'b': 'x' is not a number (the column is numeric from line 2)",
      })
    }
  })

  it('gives the same result for every chunk size', async () => {
    const samples = [
      text,
      'a,b,c\n1,x,\n2.5,,3\n-1e3,"y, z",4',
      ' x , y \r\n  ,"q"\r\n7 ," "\r\n\r\n8,"""quoted"" at start"\r\n',
      'n\n1\n\n\n2\n""\n3\n',
      'a,b\n"open,1\n',
      'a,b\n1,2\n3\n4,5,6\n',
      'a,a\n1,2\n',
      '\ufeff',
      'k,v\n"é",ünïcödé\n"x""y"z,\u00a012\u00a0\n',
      'v,w\n\u00a0,1\n,2\nabc,3\n',
    ]
    for (const sample of samples) {
      const file = await csvFile(sample)
      const want = outcome(() => parseCsv(sample))
      for (let size = 1; size <= Buffer.byteLength(sample) + 1; size++) {
        assert.deepEqual(await fileOutcome(file, size), want, `${JSON.stringify(sample)} in chunks of ${size}`)
      }
    }
  })

  it('names the file in a parse error and passes file errors through', async () => {
    const file = await csvFile('x,y\n1,2\n3,oops\n')
    await assert.rejects(
      readCsvFile(file),
      (err: Error) => err instanceof CsvError && err.message === `${file}: line 3, column 'y': 'oops' is not a number (the column is numeric from line 2)`,
    )
    await assert.rejects(readCsvFile(await csvFile('')), /empty \(no header row\)/)
    await assert.rejects(readCsvFile(join(dir, 'missing.csv')), /ENOENT/)
  })

  it('reads 200,000 rows x 20 columns of full-precision numbers to the same values', async () => {
    const rows = 200_000
    const cols = 20
    let seed = 1
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed / 4294967296
    }
    const values = Array.from({ length: cols }, () => new Float64Array(rows))
    const lines: string[] = [Array.from({ length: cols }, (_, j) => `x${j}`).join(',')]
    for (let i = 0; i < rows; i++) {
      const cells: string[] = []
      for (let j = 0; j < cols; j++) {
        // Mostly full-precision values of varied magnitude; some short ones, integers, zeros and tiny or huge ones.
        const kind = j % 5
        let v: number
        if (kind === 0) v = (random() - 0.5) * 10 ** Math.floor(random() * 12 - 6)
        else if (kind === 1) v = Math.round((random() - 0.5) * 1e6) / 100
        else if (kind === 2) v = i % 97 === 0 ? -0 : Math.floor(random() * 1e9)
        else if (kind === 3) v = (random() - 0.5) * 10 ** Math.floor(random() * 80 - 40)
        else v = random()
        values[j]![i] = v
        cells.push(Object.is(v, -0) ? '-0' : String(v))
      }
      lines.push(cells.join(','))
    }
    const file = await csvFile(`${lines.join('\n')}\n`)
    const table = await readCsvFile(file)
    assert.equal(table.rowCount, rows)
    for (let j = 0; j < cols; j++) {
      const column = table.columns[j]!
      assert.equal(column.kind, 'numeric')
      const got = column.values as Float64Array
      for (let i = 0; i < rows; i++) {
        if (!Object.is(got[i], values[j]![i])) assert.fail(`row ${i + 1}, column ${j}: ${got[i]} is not ${values[j]![i]}`)
      }
    }
  })
})

describe('number parsing', () => {
  it('matches Number() exactly, near ties between doubles too', () => {
    let seed = 42
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed / 4294967296
    }
    const digits = (n: number) => {
      let s = String(1 + Math.floor(random() * 9))
      for (let i = 1; i < n; i++) s += Math.floor(random() * 10)
      return s
    }
    const cells: string[] = []
    for (let i = 0; i < 60_000; i++) {
      const d = digits(1 + Math.floor(random() * 19))
      const point = Math.floor(random() * (d.length + 1))
      const sign = ['', '-', '+'][i % 3]!
      switch (i % 6) {
        case 0:
          cells.push(`${sign + d.slice(0, point)}.${d.slice(point)}`)
          break
        case 1:
          cells.push(`${sign}0.${'0'.repeat(i % 9)}${d}`)
          break
        case 2:
          cells.push(`${sign}${d[0]}.${d.slice(1)}e${Math.floor(random() * 60) - 30}`)
          break
        case 3:
          cells.push(`${sign}${d}E+${i % 25}`)
          break
        case 4:
          cells.push(String((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20)))
          break
        default:
          cells.push(nearTie(random))
          break
      }
    }
    cells.push('0', '-0', '0.000', '-0e5', '1e400', '-1e-400', '5e-324', '1.7976931348623157e308', '9007199254740993', '123456789012345678901234567890')
    cells.push(' 12 ', '\t-3.5\t', '007', '.5', '5.', '+.5e-3', '1E5', 'inf', '-Infinity', '+NaN', 'nan')
    const column = parseCsv(`v\n${cells.join('\n')}\n`).columns[0]!
    assert.equal(column.kind, 'numeric')
    const got = column.values as Float64Array
    const bad: string[] = []
    cells.forEach((cell, i) => {
      const trimmed = cell.trim().toLowerCase().replace(/^\+/, '')
      const want =
        trimmed.endsWith('inf') || trimmed.endsWith('infinity')
          ? trimmed.startsWith('-')
            ? -Infinity
            : Infinity
          : trimmed.endsWith('nan')
            ? Number.NaN
            : Number(cell)
      if (!Object.is(got[i], want)) bad.push(`${cell}: ${got[i]} is not ${want}`)
    })
    assert.deepEqual(bad, [])
  })

  it('rounds a decimal with more than 15 digits correctly or leaves it to Number', () => {
    // 0.052925465486265116: the first quotient is an ulp off, the remainder corrects it.
    assert.equal(scaleDecimal(529254654e8, 86265116, -18), 0.052925465486265116)
    assert.equal(scaleDecimal(900719925e7, 4740993, 0), 9007199254740992) // a tie, to even
    assert.equal(scaleDecimal(123456789e8, 12345678, 5), 1.2345678912345677e21)
  })
})

/** 17 significant digits of a point halfway between two adjacent doubles: a hard case for rounding. */
function nearTie(random: () => number): string {
  const x = 1 + random() * 10 ** Math.floor(random() * 12)
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const bits = view.getBigUint64(0)
  const exponent = Number((bits >> 52n) & 0x7ffn) - 1075
  const mantissa = ((bits & ((1n << 52n) - 1n)) | (1n << 52n)) * 2n + 1n // the midpoint, in units of 2^(exponent - 1)
  const scaled = exponent - 1 >= 0 ? (mantissa << BigInt(exponent - 1)) * 10n ** 40n : (mantissa * 10n ** 40n) >> BigInt(1 - exponent)
  const text = scaled.toString()
  return `${text.slice(0, 17)}e${text.length - 40 - 17}`
}

describe('parseCsv against the whole-text parser it replaced', () => {
  it('gives the same table or the same error on random CSV text', async () => {
    let seed = 9
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed / 4294967296
    }
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
    const cellPool = [
      '1',
      '-2.5',
      '3e2',
      ' 4 ',
      '',
      ' ',
      'x',
      'y z',
      '"q"',
      '"a,b"',
      '"say ""hi"""',
      '"l1\nl2"',
      '"cr\rx"',
      '""',
      'nan',
      'Inf',
      '0x1',
      '1.2.3',
      '12345.678901234567',
      '\u00a07',
      'é',
      '"7"x',
      'a"b',
    ]
    const ends = ['\n', '\r\n', '\r']
    for (let round = 0; round < 400; round++) {
      const cols = 1 + Math.floor(random() * 4)
      let text = random() < 0.2 ? '\ufeff' : ''
      const header = Array.from({ length: cols }, (_, j) => (random() < 0.05 ? 'c0' : `c${j}`))
      text += header.join(',') + pick(ends)
      const rows = Math.floor(random() * 8)
      // Columns lean towards one kind of cell so that numeric columns are common.
      const lean = Array.from({ length: cols }, () => (random() < 0.6 ? ['1', '-2.5', '3e2', ' 4 ', '', '12345.678901234567'] : cellPool))
      for (let i = 0; i < rows; i++) {
        const n = random() < 0.05 ? cols + (random() < 0.5 ? 1 : -1) : cols
        text += Array.from({ length: Math.max(n, 1) }, (_, j) => pick(random() < 0.9 ? lean[j % cols]! : cellPool)).join(',')
        if (random() < 0.1) text += pick(ends)
        text += i === rows - 1 && random() < 0.3 ? '' : pick(ends)
      }
      if (random() < 0.03) text += '"unclosed'
      const want = outcome(() => referenceParseCsv(text))
      assert.deepEqual(
        outcome(() => parseCsv(text)),
        want,
        JSON.stringify(text),
      )
      if (round % 4 === 0) {
        const file = await csvFile(text)
        assert.deepEqual(await fileOutcome(file, 1 + Math.floor(random() * 12)), want, JSON.stringify(text))
      }
    }
  })
})

// The parser before readCsvFile streamed (whole text, strings first), kept as the reference.
function referenceParseCsv(text: string): Table {
  const records = referenceSplitRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  const header = records[0]
  if (header === undefined || (header.cells.length === 1 && header.cells[0] === '')) throw new CsvError('the file is empty (no header row)')
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
    if (row.cells.length !== names.length) throw new CsvError(`line ${row.line} has ${row.cells.length} fields, expected ${names.length} as in the header`)
  }
  const columns = names.map((name, j): Column => {
    const first = rows.find((r) => r.cells[j]!.trim() !== '')
    if (first !== undefined && referenceParseNumber(first.cells[j]!) === undefined) {
      return { name, kind: 'string', values: rows.map((r) => (r.cells[j] === '' ? null : r.cells[j]!)) }
    }
    const values = new Float64Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const cell = rows[i]!.cells[j]!
      if (cell.trim() === '') {
        values[i] = Number.NaN
        continue
      }
      const value = referenceParseNumber(cell)
      if (value === undefined)
        throw new CsvError(`line ${rows[i]!.line}, column '${name}': '${cell}' is not a number (the column is numeric from line ${first!.line})`)
      values[i] = value
    }
    return { name, kind: 'numeric', values }
  })
  return { columns, rowCount: rows.length }
}

function referenceParseNumber(cell: string): number | undefined {
  const s = cell.trim()
  if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i.test(s)) return undefined
  const lower = s.toLowerCase().replace(/^\+/, '')
  if (lower === 'nan' || lower === '-nan') return Number.NaN
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity
  return Number(s)
}

function referenceSplitRecords(text: string): { cells: string[]; line: number }[] {
  const records: { cells: string[]; line: number }[] = []
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
