import { RowsReader } from './numeric-rows.js'
import { BACKSLASH, bytesAt, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, isSpace, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-bytes.js'

/**
 * The fast reader of V2 JSON inference bodies: the `data` arrays of the inputs — numbers, flat
 * (`[1, 2, ...]`, as tritonclient sends them) or rows (`[[1, 2], ...]`) — are read by the
 * WebAssembly number reader /invocations uses (numeric-rows.ts); only what is left (names,
 * shapes, datatypes, parameters: a few dozen bytes) goes through JSON.parse.
 *
 * Why: a 1,000-row V2 request is almost all decimals, and JSON.parse converts each through a
 * string before the values are copied again into typed columns. Reading such a body (10,000
 * FP64 values, 208 KB) took 1.6–1.8 ms with JSON.parse and takes 0.4–0.45 ms here (one run on
 * the 2-core development machine, under load), the difference between V2 JSON and /invocations.
 *
 * Like split-json.ts, a strict subset: anything else — a `data` of another shape, a null (not a
 * valid FP32/FP64 value), a key spelled with escapes, a duplicate `inputs` or `data` key,
 * invalid JSON — gives undefined and the caller reads the body the general way, which also
 * writes every error message. The data arrays are replaced by `0` before JSON.parse; each such
 * tensor is checked to hold that `0` afterwards, so a value is never taken from the wrong place.
 */
export interface FastV2Json {
  /** The body parsed with each fast-read input's `data` replaced by 0. */
  readonly doc: unknown
  /**
   * Values of the inputs whose `data` was read here, by their index in `inputs`: views of the
   * reader's memory, valid until its next read, so callers copy the values out at once
   * (readV2Request's callers do, into the model's columns, before anything else is read).
   */
  readonly data: ReadonlyMap<number, Float64Array>
}

const keyInputs = Buffer.from('"inputs"')
const keyData = Buffer.from('"data"')

class OutsideSubset {}
const outside = new OutsideSubset()

function skipSpace(b: Buffer, p: number): number {
  while (isSpace(b[p])) p++
  return p
}

/** Position after the string starting at `p` (a quote), escapes skipped. */
function skipString(b: Buffer, p: number): number {
  p++
  for (;;) {
    const c = b[p]
    if (c === undefined) throw outside
    if (c === BACKSLASH) p += 2
    else if (c === QUOTE) return p + 1
    else p++
  }
}

/** Position after the JSON value at `p` (not validated: JSON.parse checks what is left). */
function skipValue(b: Buffer, p: number): number {
  const c = b[p]
  if (c === QUOTE) return skipString(b, p)
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0
    for (;;) {
      const d = b[p]
      if (d === undefined) throw outside
      if (d === QUOTE) {
        p = skipString(b, p)
        continue
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--
        if (depth === 0) return p + 1
      }
      p++
    }
  }
  while (p < b.length && b[p] !== COMMA && b[p] !== CLOSE_BRACE && b[p] !== CLOSE_BRACKET && !isSpace(b[p])) p++
  return p
}

interface Span {
  readonly start: number
  readonly end: number
  readonly index: number
  readonly values: Float64Array
}

/** Whether `skeleton` is `b` with each span replaced by `0`, compared byte by byte (a few dozen bytes: no native call). */
function sameSkeleton(skeleton: Buffer, b: Buffer, spans: readonly Span[]): boolean {
  let k = 0
  let at = 0
  for (let i = 0; i <= spans.length; i++) {
    const end = i < spans.length ? spans[i]!.start : b.length
    if (k + (end - at) > skeleton.length) return false
    for (let p = at; p < end; p++, k++) if (skeleton[k] !== b[p]) return false
    if (i === spans.length) break
    if (skeleton[k++] !== ZERO) return false
    at = spans[i]!.end
  }
  return k === skeleton.length
}

export class V2JsonReader {
  readonly #rows = new RowsReader()
  #lastSkeleton: Buffer | undefined
  #lastDoc: unknown
  /**
   * The last body whose document is cached, as the bytes around its data arrays (`segments`, one
   * more than the arrays) and which input each array belongs to: the template the next body is
   * first matched against.
   */
  #template: { readonly segments: readonly Buffer[]; readonly indices: readonly number[] } | undefined

  /** Whether `doc` is the document this reader keeps for the next body (callers may keep what they derive from it). */
  holds(doc: unknown): boolean {
    return doc === this.#lastDoc
  }

  /** The body's inputs with their numeric `data` read, or undefined when it is outside the subset. */
  read(body: Buffer): FastV2Json | undefined {
    try {
      return this.#again(body) ?? this.#read(body)
    } catch (err) {
      if (err === outside) return undefined
      throw err
    }
  }

  /**
   * A body that is the last one's template with other numbers in its data arrays: read with
   * compares of the bytes between the arrays and the number reader for the arrays, giving the
   * cached document again. Why: a client sends every request of a shape with the same names,
   * shapes and datatypes, and walking those bytes in JavaScript (keys, shape lists, the skeleton
   * compare) cost more per one-row request than everything else V2 JSON does over /invocations.
   * Undefined when any byte outside the arrays differs; the full read then decides.
   */
  #again(b: Buffer): FastV2Json | undefined {
    const template = this.#template
    if (template === undefined) return undefined
    const { segments, indices } = template
    const data = new Map<number, Float64Array>()
    let at = 0
    for (let i = 0; ; i++) {
      const segment = segments[i]!
      const end = at + segment.length
      if (!bytesAt(b, at, segment)) return undefined
      if (i === indices.length) return end === b.length ? { doc: this.#lastDoc, data } : undefined
      // Copied into the number reader once the body's start matches: a body that misses at once is
      // read by #read, which copies it itself.
      if (i === 0 && !this.#rows.load(b)) return undefined
      const read = this.#data(b, end)
      if (read === undefined) return undefined
      data.set(indices[i]!, read.values)
      at = read.end
    }
  }

  #read(b: Buffer): FastV2Json | undefined {
    /** [start, end) spans of data arrays, with the input index each belongs to. */
    const spans: Span[] = []
    if (!this.#rows.load(b)) return undefined
    let p = skipSpace(b, 0)
    if (b[p] !== OPEN_BRACE) return undefined
    p = skipSpace(b, p + 1)
    let sawInputs = false
    while (b[p] !== CLOSE_BRACE) {
      if (b[p] !== QUOTE) return undefined
      const isInputs = bytesAt(b, p, keyInputs)
      p = skipSpace(b, skipString(b, p))
      if (b[p] !== COLON) return undefined
      p = skipSpace(b, p + 1)
      if (isInputs) {
        if (sawInputs) return undefined
        sawInputs = true
        p = this.#inputs(b, p, spans)
      } else p = skipValue(b, p)
      p = skipSpace(b, p)
      if (b[p] === COMMA) p = skipSpace(b, p + 1)
      else if (b[p] !== CLOSE_BRACE) return undefined
    }
    if (spans.length === 0) return undefined
    const doc = this.#skeleton(b, spans)
    if (doc === undefined) return undefined
    const inputs = (doc as { inputs?: unknown }).inputs
    if (!Array.isArray(inputs)) return undefined
    const data = new Map<number, Float64Array>()
    for (const s of spans) {
      const tensor = inputs[s.index] as Record<string, unknown> | undefined
      if (tensor === null || typeof tensor !== 'object' || tensor['data'] !== 0) return undefined
      data.set(s.index, s.values)
    }
    // A document kept for the next body: this body, around its arrays, is what the next is matched against.
    if (doc === this.#lastDoc) this.#template = templateOf(b, spans)
    return { doc, data }
  }

  /**
   * What is left of the body, each data array replaced by 0, parsed by JSON.parse: a client sends
   * the same names, shapes and datatypes every time, so when these bytes equal the last body's the
   * last document is used again (it is only read, never changed, by the callers).
   */
  #skeleton(b: Buffer, spans: readonly Span[]): unknown {
    const last = this.#lastSkeleton
    if (last !== undefined && sameSkeleton(last, b, spans)) return this.#lastDoc
    const parts: Buffer[] = []
    let at = 0
    for (const s of spans) {
      parts.push(b.subarray(at, s.start), zero)
      at = s.end
    }
    parts.push(b.subarray(at))
    const skeleton = Buffer.concat(parts)
    let doc: unknown
    try {
      doc = JSON.parse(skeleton.toString('utf8'))
    } catch {
      return undefined
    }
    if (skeleton.length <= MAX_SKELETON) {
      this.#lastSkeleton = skeleton
      this.#lastDoc = doc
    } else this.#template = undefined
    return doc
  }

  /** The inputs list at `p`: notes the span and values of each tensor's numeric `data`. */
  #inputs(b: Buffer, p: number, spans: Span[]): number {
    if (b[p] !== OPEN_BRACKET) return skipValue(b, p)
    p = skipSpace(b, p + 1)
    let index = 0
    while (b[p] !== CLOSE_BRACKET) {
      if (b[p] === OPEN_BRACE) {
        p = skipSpace(b, p + 1)
        let sawData = false
        while (b[p] !== CLOSE_BRACE) {
          if (b[p] !== QUOTE) throw outside
          const isData = bytesAt(b, p, keyData)
          p = skipSpace(b, skipString(b, p))
          if (b[p] !== COLON) throw outside
          p = skipSpace(b, p + 1)
          if (isData) {
            if (sawData) throw outside
            sawData = true
            const read = this.#data(b, p)
            if (read === undefined) p = skipValue(b, p)
            else {
              spans.push({ start: p, end: read.end, index, values: read.values })
              p = read.end
            }
          } else p = skipValue(b, p)
          p = skipSpace(b, p)
          if (b[p] === COMMA) p = skipSpace(b, p + 1)
          else if (b[p] !== CLOSE_BRACE) throw outside
        }
        p++
      } else p = skipValue(b, p)
      index++
      p = skipSpace(b, p)
      if (b[p] === COMMA) p = skipSpace(b, p + 1)
      else if (b[p] !== CLOSE_BRACKET) throw outside
    }
    return p + 1
  }

  /**
   * A data array of numbers at `p` of the loaded body, flat (as one row) or rows of equal length, as
   * a view of the reader's memory; undefined otherwise (or with a null).
   */
  #data(b: Buffer, p: number): { end: number; values: Float64Array } | undefined {
    if (b[p] !== OPEN_BRACKET) return undefined
    const rows = b[skipSpace(b, p + 1)] === OPEN_BRACKET ? this.#rows.rowsAt(p) : this.#rows.rowAt(p)
    if (rows === undefined) return undefined
    // A view, not a copy: a copy of more than 64 bytes is a new ArrayBuffer, which cost more than the rest of a one-row read.
    const values = rows.values.subarray(rows.offset, rows.offset + rows.rowCount * rows.width)
    // null reads as NaN; the general path names it in its error.
    for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) return undefined
    return { end: rows.end, values }
  }
}

/** The bytes around each data array (copies: the body's memory is reused), and whose array each is. */
function templateOf(b: Buffer, spans: readonly Span[]): { segments: Buffer[]; indices: number[] } {
  const segments: Buffer[] = []
  let at = 0
  for (const s of spans) {
    segments.push(Buffer.from(b.subarray(at, s.start)))
    at = s.end
  }
  segments.push(Buffer.from(b.subarray(at)))
  return { segments, indices: spans.map((s) => s.index) }
}

const ZERO = 0x30
/** Skeletons with other inputs' data in them can be large: only small ones are kept for the next request. */
const MAX_SKELETON = 4096
const zero = Buffer.from('0')
