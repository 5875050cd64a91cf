import { endianness } from 'node:os'
import { badRequest } from '../errors.js'
import type { OutputTensor } from '../models/index.js'
import { elementBytes, type V2Datatype } from './v2-datatype.js'

/**
 * Triton's binary tensor data extension (also in KServe's Python client): after a JSON header of
 * `Inference-Header-Content-Length` bytes, each tensor marked with `parameters.binary_data_size`
 * follows as raw little-endian elements, in the order of the header's list; a BYTES element is a
 * 4-byte little-endian length, then that many bytes.
 * (triton-inference-server/server docs/protocol/extension_binary_data.md)
 */

// Typed arrays use the platform's byte order; every platform Node ships for is little-endian, and
// the extension is little-endian, so typed arrays read and write the wire directly.
if (endianness() !== 'LE') throw new Error('the binary tensor extension needs a little-endian platform')

/** Values read from binary: numbers (as doubles), booleans or UTF-8 strings, row-major. */
export type BinaryValues = Float64Array | boolean[] | string[]

/** Copies `bytes` into a fresh, aligned buffer (a slice of a request body can start at any offset). */
const aligned = (bytes: Buffer): ArrayBuffer => {
  const copy = new Uint8Array(bytes.length)
  copy.set(bytes)
  return copy.buffer
}

function readIntegers(input: string, datatype: V2Datatype, buffer: ArrayBuffer, count: number): Float64Array {
  switch (datatype) {
    case 'UINT8':
      return Float64Array.from(new Uint8Array(buffer, 0, count))
    case 'UINT16':
      return Float64Array.from(new Uint16Array(buffer, 0, count))
    case 'UINT32':
      return Float64Array.from(new Uint32Array(buffer, 0, count))
    case 'INT8':
      return Float64Array.from(new Int8Array(buffer, 0, count))
    case 'INT16':
      return Float64Array.from(new Int16Array(buffer, 0, count))
    case 'INT32':
      return Float64Array.from(new Int32Array(buffer, 0, count))
  }
  const wide = datatype === 'INT64' ? new BigInt64Array(buffer, 0, count) : new BigUint64Array(buffer, 0, count)
  const out = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const v = wide[i]!
    // Past 2^53 a double would silently hold a different integer.
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw badRequest(`input '${input}' (${datatype}) holds ${v} at flat index ${i}, beyond the 2^53 that serving keeps exact`)
    out[i] = Number(v)
  }
  return out
}

/** IEEE 754 half precision to double. */
function halfToDouble(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024)
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024)
}

/**
 * Aligned room for the short FP64 inputs of one request whose bytes do not sit at an 8-byte
 * boundary of the body (where the JSON header ends decides that): each is copied into the next
 * free part and read as a view of it, valid until `reset` — the next request — as the JSON
 * reader's values are. Why: a fresh Float64Array of more than 64 bytes is a new ArrayBuffer, which
 * cost more than the rest of a one-row binary read. The caller copies the values out before the
 * next request is read (modelRequestFromV2 does, into the model's columns).
 */
export class DoubleScratch {
  readonly #doubles = new Float64Array(1024)
  readonly #bytes = new Uint8Array(this.#doubles.buffer)
  #used = 0

  reset(): void {
    this.#used = 0
  }

  /** `bytes` (count doubles) as a view of this scratch; undefined when there is no room left. */
  take(bytes: Buffer, count: number): Float64Array | undefined {
    const at = this.#used
    if (at + count > this.#doubles.length) return undefined
    this.#bytes.set(bytes, at * 8)
    this.#used = at + count
    return this.#doubles.subarray(at, at + count)
  }
}

/** FP64 data as doubles: a view of the body when it sits at an 8-byte boundary, else a copy (in `scratch` when given and it fits). */
function readDoubles(bytes: Buffer, count: number, scratch: DoubleScratch | undefined): Float64Array {
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, count)
  return scratch?.take(bytes, count) ?? new Float64Array(aligned(bytes), 0, count)
}

function readFloats(datatype: V2Datatype, buffer: ArrayBuffer, count: number): Float64Array {
  if (datatype === 'FP64') return new Float64Array(buffer, 0, count)
  if (datatype === 'FP32') return Float64Array.from(new Float32Array(buffer, 0, count))
  const halves = new Uint16Array(buffer, 0, count)
  const out = new Float64Array(count)
  if (datatype === 'FP16') for (let i = 0; i < count; i++) out[i] = halfToDouble(halves[i]!)
  else {
    // bfloat16 is the top half of a float32.
    const wide = new Uint32Array(count)
    for (let i = 0; i < count; i++) wide[i] = halves[i]! << 16
    out.set(new Float32Array(wide.buffer))
  }
  return out
}

function readStrings(input: string, bytes: Buffer, count: number): string[] {
  const out: string[] = []
  let at = 0
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw badRequest(`input '${input}' (BYTES): element ${out.length} is cut off in its 4-byte length`)
    const length = bytes.readUInt32LE(at)
    at += 4
    if (at + length > bytes.length) throw badRequest(`input '${input}' (BYTES): element ${out.length} says ${length} bytes, but fewer follow`)
    out.push(bytes.toString('utf8', at, at + length))
    at += length
  }
  if (out.length !== count) throw badRequest(`input '${input}' (BYTES) holds ${out.length} elements, but its shape needs ${count}`)
  return out
}

/**
 * Reads one input's binary data: exactly `count` elements of `datatype`, else a 400 that says why.
 * FP64 values may be a view of `bytes` or of `scratch`: valid while those are.
 */
export function readBinaryTensor(input: string, datatype: V2Datatype, bytes: Buffer, count: number, scratch?: DoubleScratch): BinaryValues {
  if (datatype === 'BYTES') return readStrings(input, bytes, count)
  const size = elementBytes(datatype)
  if (bytes.length !== count * size)
    throw badRequest(`input '${input}' has ${bytes.length} bytes of binary data, but its shape needs ${count} × ${size} = ${count * size} for ${datatype}`)
  if (datatype === 'BOOL') {
    const out = new Array<boolean>(count)
    for (let i = 0; i < count; i++) out[i] = bytes[i] !== 0
    return out
  }
  if (datatype === 'FP64') return readDoubles(bytes, count, scratch)
  const buffer = aligned(bytes)
  return datatype.startsWith('FP') || datatype === 'BF16' ? readFloats(datatype, buffer, count) : readIntegers(input, datatype, buffer, count)
}

/** One output tensor as the extension writes it. */
export function writeBinaryTensor(data: OutputTensor['data']): Buffer {
  if (data instanceof Float64Array && data.length <= 8) {
    // A short typed array lives in V8's heap; asking for its .buffer moves it out first, which
    // cost more than writing its few values (a one-row prediction).
    const out = Buffer.allocUnsafe(data.length * 8)
    for (let i = 0; i < data.length; i++) out.writeDoubleLE(data[i]!, i * 8)
    return out
  }
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const values = data as readonly (number | string)[]
  if (values.length > 0 && typeof values[0] === 'string') {
    const parts = values.map((v) => Buffer.from(String(v), 'utf8'))
    const out = Buffer.alloc(parts.reduce((n, p) => n + 4 + p.length, 0))
    let at = 0
    for (const p of parts) {
      out.writeUInt32LE(p.length, at)
      p.copy(out, at + 4)
      at += 4 + p.length
    }
    return out
  }
  // Plain number lists are written as prediction-json.ts names them: INT64 when all integers, else FP64.
  const numbers = values as readonly number[]
  if (numbers.every((v) => Number.isInteger(v))) return Buffer.from(BigInt64Array.from(numbers, (v) => BigInt(v)).buffer)
  return Buffer.from(Float64Array.from(numbers).buffer)
}

/** Bytes a binary output takes when it does not depend on its values (typed arrays); undefined for BYTES and plain lists. */
export function binaryByteLength(data: OutputTensor['data']): number | undefined {
  return ArrayBuffer.isView(data) ? data.byteLength : undefined
}

const scratch = new Float64Array(1)
const scratchBytes = new Uint8Array(scratch.buffer)

/**
 * A typed array's bytes, as writeBinaryTensor writes them, in a latin1 string (one character a
 * byte), for an answer sent as one string with its head. A one-row prediction's doubles are
 * turned into characters directly: no Buffer made for eight bytes.
 */
export function binaryLatin1(data: OutputTensor['data']): string {
  if (data instanceof Float64Array && data.length <= 8) {
    let text = ''
    for (let i = 0; i < data.length; i++) {
      scratch[0] = data[i]!
      text += String.fromCharCode(
        scratchBytes[0]!,
        scratchBytes[1]!,
        scratchBytes[2]!,
        scratchBytes[3]!,
        scratchBytes[4]!,
        scratchBytes[5]!,
        scratchBytes[6]!,
        scratchBytes[7]!,
      )
    }
    return text
  }
  return writeBinaryTensor(data).toString('latin1')
}
