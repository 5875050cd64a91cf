import { readFileSync } from 'node:fs'
import { numericRowsWasm } from '../app-paths.js'

/**
 * The rows of a numeric `dataframe_split` — `[[n, ...], ...]`, numbers or null — read by
 * native/numeric-rows.wasm (Rust, source in native/numeric-rows; built by scripts/build-wasm.sh).
 *
 * Why WebAssembly: a 1,000-row request holds 10,000 decimals of 17 digits; rounding them exactly
 * in JavaScript took double-double arithmetic, ~70 ns a number and most of the request. With the
 * 64-bit integers WebAssembly has, the Eisel–Lemire conversion (what Rust's and V8's own readers
 * use) takes a few: 0.28 ms for the whole array instead of 0.73.
 */
export interface Rows {
  /** Position just past the closing `]`. */
  readonly end: number
  readonly rowCount: number
  /** Values per row (0 when there are none). */
  readonly width: number
  /**
   * rowCount × width values, row by row from `offset` on; null is NaN. A view of the module's
   * whole memory (no view made per request).
   */
  readonly values: Float64Array
  readonly offset: number
}

interface Exports {
  heap_base(): number
  read_rows(input: number, length: number, pos: number, out: number, capacity: number): number
  read_row(input: number, length: number, pos: number, out: number, capacity: number): number
  rows(): number
  width(): number
}

// @types/node 20 does not declare the WebAssembly global (Node has it); the members used here.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array)
  }
  class Instance {
    constructor(module: Module, imports: object)
    readonly exports: unknown
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number })
    readonly buffer: ArrayBuffer
  }
}

let compiled: WebAssembly.Module | undefined

/** Bodies up to this size are read here; larger ones (a raised body limit) by the general parser. */
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024
/** The module's stack and statics sit below this (its heap_base is checked against it). */
const RESERVED = 1024 * 1024
const PAGE = 65536

/**
 * One instance per reader, with its own memory: the values stay valid until its next read.
 *
 * The memory is made once at its full size and never grown. Growing a WebAssembly memory detaches
 * its old ArrayBuffer, and V8's first detach of any buffer turns off an optimisation for every
 * typed array in the process (Node's Buffers included): the one-row path was 20–30 % slower after
 * the first large body until this. The pages cost address space, not memory, until a body uses them.
 */
export class RowsReader {
  readonly #wasm: Exports
  readonly #maxBytes: number
  readonly #bytes: Uint8Array
  readonly #numbers: Float64Array
  /** Length of the body `load` copied in; -1 when none is loaded. */
  #loaded = -1
  /** Where the next value read from the loaded body goes (a byte address), and the room left there. */
  #next = 0
  #room = 0

  constructor(maxBytes = DEFAULT_MAX_BYTES) {
    // Synchronous compile: 23 KB, under a millisecond, once per process.
    compiled ??= new WebAssembly.Module(readFileSync(numericRowsWasm))
    const pages = Math.ceil((RESERVED + valuesAt(maxBytes) + capacityFor(maxBytes) * 8) / PAGE)
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages })
    this.#wasm = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Exports
    if (this.#wasm.heap_base() > RESERVED) throw new Error('numeric-rows.wasm: its stack and statics outgrew the reserved megabyte')
    this.#maxBytes = maxBytes
    this.#bytes = new Uint8Array(memory.buffer)
    this.#numbers = new Float64Array(memory.buffer)
  }

  /** The memory the values are read into (callers tell a view of it from a copy). */
  get buffer(): ArrayBufferLike {
    return this.#numbers.buffer
  }

  /**
   * Reads the rows that start at `body[pos]`; undefined when they are not rows of JSON numbers
   * and nulls, all as long as the first, or when the body is larger than this reader takes.
   */
  read(body: Buffer, pos: number): Rows | undefined {
    this.#loaded = -1
    if (body.length > this.#maxBytes) return undefined
    const out = RESERVED + valuesAt(body.length)
    this.#bytes.set(body, RESERVED)
    const end = this.#wasm.read_rows(RESERVED, body.length, pos, out, capacityFor(body.length))
    if (end < 0) return undefined
    return { end, rowCount: this.#wasm.rows(), width: this.#wasm.width(), values: this.#numbers, offset: out / 8 }
  }

  /**
   * Copies `body` into the module's memory for reads at positions in it (`rowsAt`, `rowAt`): one
   * copy for every array a body holds (V2 JSON: one `data` per input), each read's values placed
   * after the last's, so all of them stay valid until the next `load` or `read`. False when the
   * body is larger than this reader takes.
   */
  load(body: Buffer): boolean {
    if (body.length > this.#maxBytes) return false
    this.#bytes.set(body, RESERVED)
    this.#loaded = body.length
    this.#next = RESERVED + valuesAt(body.length)
    this.#room = capacityFor(body.length)
    return true
  }

  /** The rows `[[n, ...], ...]` at `pos` of the loaded body, as `read` reads them. */
  rowsAt(pos: number): Rows | undefined {
    return this.#readLoaded(pos, false)
  }

  /** The flat list `[n, ...]` at `pos` of the loaded body, as one row. */
  rowAt(pos: number): Rows | undefined {
    return this.#readLoaded(pos, true)
  }

  #readLoaded(pos: number, isFlat: boolean): Rows | undefined {
    if (this.#loaded < 0) throw new Error('RowsReader: nothing loaded')
    const out = this.#next
    const end = isFlat ? this.#wasm.read_row(RESERVED, this.#loaded, pos, out, this.#room) : this.#wasm.read_rows(RESERVED, this.#loaded, pos, out, this.#room)
    if (end < 0) return undefined
    const rowCount = this.#wasm.rows()
    const width = this.#wasm.width()
    this.#next += rowCount * width * 8
    this.#room -= rowCount * width
    return { end, rowCount, width, values: this.#numbers, offset: out / 8 }
  }
}

/** Where the values of a body of `length` bytes go, from the start of the reader's region: after the body. */
const valuesAt = (length: number) => (length + 7) & ~7

/** Room for every value a body of `length` bytes could hold: each takes at least two bytes, a digit and a separator. */
const capacityFor = (length: number) => Math.floor(length / 2) + 1
