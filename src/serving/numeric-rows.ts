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
  readonly memory: WebAssembly.Memory
  heap_base(): number
  read_rows(input: number, length: number, pos: number, out: number, capacity: number): number
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
  interface Memory {
    readonly buffer: ArrayBuffer
    grow(pages: number): number
  }
}

let compiled: WebAssembly.Module | undefined

/** One instance, with its own memory, per reader: the values stay valid until its next read. */
export class RowsReader {
  readonly #wasm: Exports
  readonly #base: number
  // Views of the whole memory, made again only when it grows (growing detaches the old buffer,
  // which leaves the old views empty).
  #bytes = new Uint8Array(0)
  #numbers = new Float64Array(0)

  constructor() {
    // Synchronous compile: 23 KB, under a millisecond, once per process.
    compiled ??= new WebAssembly.Module(readFileSync(numericRowsWasm))
    this.#wasm = new WebAssembly.Instance(compiled, {}).exports as unknown as Exports
    this.#base = align8(this.#wasm.heap_base())
  }

  /**
   * Reads the rows that start at `body[pos]`; undefined when they are not rows of JSON numbers
   * and nulls, all as long as the first.
   */
  read(body: Buffer, pos: number): Rows | undefined {
    const wasm = this.#wasm
    const length = body.length
    if (length > MAX_MEMORY / 6) return undefined // input and output would not fit: the general parser reads it
    const input = this.#base
    const out = input + align8(length)
    // Every value takes at least two bytes (a digit and a separator), so this always has room.
    const capacity = (length >>> 1) + 1
    if (!this.#reserve(out + capacity * 8)) return undefined
    this.#bytes.set(body, input)
    const end = wasm.read_rows(input, length, pos, out, capacity)
    if (end < 0) return undefined
    return { end, rowCount: wasm.rows(), width: wasm.width(), values: this.#numbers, offset: out / 8 }
  }

  /**
   * Grows the memory to `bytes` if it is smaller (it is kept for the next request). False past
   * what the module's i32 positions can address.
   */
  #reserve(bytes: number): boolean {
    if (bytes > MAX_MEMORY) return false
    const memory = this.#wasm.memory
    const missing = bytes - memory.buffer.byteLength
    if (missing > 0) memory.grow(Math.ceil(missing / 65536))
    if (this.#bytes.length === 0) {
      this.#bytes = new Uint8Array(memory.buffer)
      this.#numbers = new Float64Array(memory.buffer)
    }
    return true
  }
}

/** Positions are i32 on the module's side. */
const MAX_MEMORY = 2 ** 31 - 65536

const align8 = (n: number) => (n + 7) & ~7
