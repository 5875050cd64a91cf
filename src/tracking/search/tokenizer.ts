/**
 * Splits a filter string or an order_by item into tokens. It replaces the `sqlparse` pass MLflow
 * runs in mlflow/utils/search_utils.py, accepting the same lexical forms: keys quoted with "..." or
 * `...`, string values in '...' or "...", numbers with sign, decimals and exponents.
 */

/** One dot-separated piece of an identifier; `quote` is set when the user quoted it. */
export interface KeyPart {
  readonly text: string
  readonly quote?: string
}

interface TokenBase {
  /** Offset of the token's first character, for error messages. */
  readonly start: number
  /** The token as the user wrote it. */
  readonly raw: string
}

export type Token =
  | (TokenBase & { readonly kind: 'identifier'; readonly parts: readonly KeyPart[] })
  | (TokenBase & { readonly kind: 'string'; readonly value: string })
  | (TokenBase & { readonly kind: 'number'; readonly value: number })
  | (TokenBase & { readonly kind: 'operator' })
  | (TokenBase & { readonly kind: '(' | ')' | ',' | 'end' })

/** Builds the error to throw; the caller adds what is being parsed (a filter, an order_by item). */
export type Fail = (detail: string) => Error

const OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>='])
const WORD_CHAR = /[\p{L}\p{N}_]/u
const WORD_START = /[\p{L}_]/u
// The forms sqlparse tokenizes as Number.Integer / Number.Float: -12, 1.5, .5, 1e3, -1.5E-3.
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y

export function tokenize(source: string, fail: Fail): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const ch = source[i] as string
    if (/\s/.test(ch)) {
      i++
      continue
    }
    const token = readToken(source, i, fail)
    tokens.push(token)
    i = token.start + token.raw.length
  }
  tokens.push({ kind: 'end', start: source.length, raw: '' })
  return tokens
}

function readToken(source: string, start: number, fail: Fail): Token {
  const ch = source[start] as string
  if (ch === '(' || ch === ')' || ch === ',') return { kind: ch, start, raw: ch }
  if (ch === "'") {
    const { text, end } = readQuoted(source, start, fail)
    return { kind: 'string', start, raw: source.slice(start, end), value: text }
  }
  if (ch === '"' || ch === '`' || WORD_START.test(ch)) return readIdentifier(source, start, fail)
  if (isNumberStart(source, start)) return readNumber(source, start, fail)
  if ('<>=!'.includes(ch)) return readOperator(source, start, fail)
  const hint = ch === '-' || ch === '/' || ch === ':' ? '; quote keys that contain it, e.g. metrics.`a-b`' : ''
  throw fail(`unexpected character '${ch}' at position ${start}${hint}`)
}

/**
 * Reads a quoted run starting at `start` and returns its unescaped text. Inside quotes a doubled
 * quote ('it''s') and a backslash before the quote or a backslash ('it\'s') stand for that
 * character, the two escapes sqlparse's string patterns allow. Other backslashes stay as written.
 */
function readQuoted(source: string, start: number, fail: Fail): { text: string; end: number } {
  const quote = source[start] as string
  let text = ''
  let i = start + 1
  while (i < source.length) {
    const ch = source[i] as string
    const next = source[i + 1]
    if (ch === '\\' && (next === quote || next === '\\')) {
      text += next
      i += 2
    } else if (ch === quote && next === quote) {
      text += quote
      i += 2
    } else if (ch === quote) {
      return { text, end: i + 1 }
    } else {
      text += ch
      i++
    }
  }
  throw fail(`unterminated quote: ${source.slice(start)} (the ${quote} at position ${start} is never closed)`)
}

/**
 * Reads `word`, `"quoted"`, `` `quoted` `` or dotted chains of them such as tags.mlflow.runName or
 * tags.`my key`. No whitespace is allowed around the dots, as in SQL identifiers. A part after a
 * dot may also use single quotes, which MLflow strips from keys as well.
 */
function readIdentifier(source: string, start: number, fail: Fail): Token {
  const parts: KeyPart[] = []
  let i = start
  for (;;) {
    const ch = source[i]
    if (ch !== undefined && (ch === '"' || ch === '`' || (ch === "'" && parts.length > 0))) {
      const { text, end } = readQuoted(source, i, fail)
      parts.push({ text, quote: ch })
      i = end
    } else if (ch !== undefined && WORD_CHAR.test(ch) && (parts.length > 0 || WORD_START.test(ch))) {
      const end = skipWordChars(source, i)
      parts.push({ text: source.slice(i, end) })
      i = end
    } else {
      throw fail(`expected a key after '${source.slice(start, i)}' at position ${i}`)
    }
    if (source[i] !== '.') break
    i++
  }
  return { kind: 'identifier', start, raw: source.slice(start, i), parts }
}

function skipWordChars(source: string, start: number): number {
  let i = start
  while (i < source.length && WORD_CHAR.test(source[i] as string)) i++
  return i
}

function isNumberStart(source: string, i: number): boolean {
  const digitAt = (j: number) => /\d/.test(source[j] ?? '')
  if (digitAt(i)) return true
  if (source[i] === '.') return digitAt(i + 1)
  return source[i] === '-' && (digitAt(i + 1) || (source[i + 1] === '.' && digitAt(i + 2)))
}

function readNumber(source: string, start: number, fail: Fail): Token {
  NUMBER.lastIndex = start
  const raw = (NUMBER.exec(source) as RegExpExecArray)[0]
  const after = source[start + raw.length]
  // "1abc" or "1.2.3" is neither a number nor a key; say so instead of splitting it silently.
  if (after !== undefined && (WORD_CHAR.test(after) || after === '.')) {
    const word = source.slice(start, skipWordChars(source, start + raw.length + 1))
    throw fail(`invalid number '${word}' at position ${start}`)
  }
  const value = Number(raw)
  if (!Number.isFinite(value)) throw fail(`number '${raw}' at position ${start} is out of range`)
  return { kind: 'number', start, raw, value }
}

function readOperator(source: string, start: number, fail: Fail): Token {
  let end = start
  while (end < source.length && '<>=!'.includes(source[end] as string)) end++
  const raw = source.slice(start, end)
  if (!OPERATORS.has(raw)) {
    throw fail(`unknown comparator '${raw}' at position ${start}; use one of =, !=, <, <=, >, >=`)
  }
  return { kind: 'operator', start, raw }
}
