import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import { DoubleScratch, readBinaryTensor, writeBinaryTensor } from './v2-binary.js'
import { checkJsonValues, v2Datatypes, v2DatatypeOf } from './v2-datatype.js'

const refusal = (f: () => unknown, message: RegExp) =>
  assert.throws(f, (err: unknown) => err instanceof MlflowError && err.status === 400 && message.test(err.message))

describe('V2 datatypes and the binary tensor extension', () => {
  it('names every datatype of the spec and refuses others by name', () => {
    assert.deepEqual(v2Datatypes, ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64', 'BYTES'])
    for (const d of v2Datatypes) assert.equal(v2DatatypeOf(d, 'x'), d)
    refusal(() => v2DatatypeOf('FLOAT64', 'x'), /input 'x' has datatype 'FLOAT64', which is not one of BOOL, UINT8/)
    refusal(() => v2DatatypeOf(undefined, 'x'), /input 'x' needs a 'datatype'/)
  })

  it('reads each fixed-size datatype little-endian, as numpy writes it', () => {
    const cases: [string, Buffer, unknown[]][] = [
      ['UINT8', Buffer.from([0, 255]), [0, 255]],
      ['INT8', Buffer.from([0x80, 0x7f]), [-128, 127]],
      ['UINT16', Buffer.from([0xff, 0xff, 1, 0]), [65535, 1]],
      ['INT16', Buffer.from([0x00, 0x80, 0xff, 0xff]), [-32768, -1]],
      ['UINT32', Buffer.from([0xff, 0xff, 0xff, 0xff]), [4294967295]],
      ['INT32', Buffer.from(new Int32Array([-7, 2147483647]).buffer), [-7, 2147483647]],
      ['INT64', Buffer.from(new BigInt64Array([-5n, 9007199254740991n]).buffer), [-5, 9007199254740991]],
      ['UINT64', Buffer.from(new BigUint64Array([42n]).buffer), [42]],
      ['FP32', Buffer.from(new Float32Array([0.5, -2.25]).buffer), [0.5, -2.25]],
      ['FP64', Buffer.from(new Float64Array([0.1, -1e300]).buffer), [0.1, -1e300]],
      // 1.0, -2.0, 65504 (largest half), 2^-24 (smallest subnormal half) in IEEE half precision.
      ['FP16', Buffer.from(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]).buffer), [1, -2, 65504, 2 ** -24]],
      // bfloat16 1.0 and -0.5: the top 16 bits of the float32.
      ['BF16', Buffer.from(new Uint16Array([0x3f80, 0xbf00]).buffer), [1, -0.5]],
      ['BOOL', Buffer.from([1, 0, 1]), [true, false, true]],
    ]
    // FP64 read in place at an 8-byte boundary, else copied (without a scratch).
    const long = Array.from({ length: 100 }, (_, i) => i / 7 - 3)
    for (const [offset, values] of [
      [8, [0.25, -3]],
      [8, long],
      [3, long],
    ] as const) {
      const body = Buffer.concat([Buffer.alloc(offset), Buffer.from(new Float64Array(values).buffer)]).subarray(offset)
      assert.deepEqual(Array.from(readBinaryTensor('x', 'FP64', body, values.length) as Float64Array), values)
    }
    for (const [datatype, bytes, expected] of cases) {
      // An odd offset, as inside a request body after its JSON header.
      const body = Buffer.concat([Buffer.from([9]), bytes]).subarray(1)
      assert.deepEqual(Array.from(readBinaryTensor('x', v2DatatypeOf(datatype, 'x'), body, expected.length) as ArrayLike<unknown>), expected, datatype)
    }
  })

  it("reads a request's unaligned FP64 inputs into the scratch, each to its own values, until the scratch is reset", () => {
    const scratch = new DoubleScratch()
    const unalignedBody = (values: readonly number[]) => Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(new Float64Array(values).buffer)]).subarray(3)
    const first = [0.5, -1, 3]
    const second = Array.from({ length: 1000 }, (_, i) => i * 0.25)
    const third = [7, 8]
    const reads = [first, second, third].map((v) => readBinaryTensor('x', 'FP64', unalignedBody(v), v.length, scratch) as Float64Array)
    // The first two fill 1,003 of the scratch's 1,024 doubles, the third still fits; all three read right.
    assert.deepEqual(
      reads.map((r) => Array.from(r)),
      [first, second, third],
    )
    assert.equal(reads[0]!.buffer, reads[1]!.buffer)
    // Past its room, a fresh copy: the scratch's earlier values stay as they were.
    const big = Array.from({ length: 100 }, (_, i) => -i)
    const copied = readBinaryTensor('x', 'FP64', unalignedBody(big), big.length, scratch) as Float64Array
    assert.deepEqual(Array.from(copied), big)
    assert.notEqual(copied.buffer, reads[0]!.buffer)
    assert.deepEqual(Array.from(reads[2]!), third)
    // The next request starts at the beginning again.
    scratch.reset()
    const again = readBinaryTensor('x', 'FP64', unalignedBody([42]), 1, scratch) as Float64Array
    assert.deepEqual(Array.from(again), [42])
    assert.equal(again.buffer, reads[0]!.buffer)
    assert.equal(again.byteOffset, 0)
  })

  it('reads BYTES as 4-byte lengths and UTF-8, and refuses cut-off or miscounted elements', () => {
    const bytes = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hé', 'latin1').subarray(0, 2), Buffer.from([0, 0, 0, 0])])
    assert.deepEqual(readBinaryTensor('s', 'BYTES', Buffer.from([3, 0, 0, 0, 0x61, 0x62, 0x63, 0, 0, 0, 0]), 2), ['abc', ''])
    assert.equal(readBinaryTensor('s', 'BYTES', writeBinaryTensor(['ünï', 'x']), 2).length, 2)
    assert.deepEqual(readBinaryTensor('s', 'BYTES', writeBinaryTensor(['ünï', 'x']), 2), ['ünï', 'x'])
    refusal(() => readBinaryTensor('s', 'BYTES', Buffer.from([9, 0, 0, 0, 0x61]), 1), /element 0 says 9 bytes, but fewer follow/)
    refusal(() => readBinaryTensor('s', 'BYTES', Buffer.from([1, 0]), 1), /cut off in its 4-byte length/)
    refusal(() => readBinaryTensor('s', 'BYTES', bytes, 1), /holds 2 elements, but its shape needs 1/)
  })

  it('refuses data whose size does not match the shape, and 64-bit integers a double cannot hold', () => {
    refusal(() => readBinaryTensor('x', 'FP32', Buffer.alloc(12), 4), /has 12 bytes of binary data, but its shape needs 4 × 4 = 16 for FP32/)
    refusal(() => readBinaryTensor('x', 'INT64', Buffer.from(new BigInt64Array([2n ** 60n]).buffer), 1), /beyond the 2\^53/)
  })

  it('checks JSON values against their datatype', () => {
    checkJsonValues('x', 'UINT8', [0, 255])
    checkJsonValues('x', 'FP16', [0.5, 3])
    checkJsonValues('x', 'BOOL', [true])
    checkJsonValues('x', 'BYTES', ['a'])
    refusal(() => checkJsonValues('x', 'UINT8', [256]), /is UINT8, but flat index 0 holds the number 256 \(outside 0..255\)/)
    refusal(() => checkJsonValues('x', 'INT32', [1.5]), /is INT32, but flat index 0 holds the number 1.5/)
    refusal(() => checkJsonValues('x', 'FP64', [1, 'a']), /is FP64, but flat index 1 holds a string/)
    refusal(() => checkJsonValues('x', 'BOOL', [1]), /is BOOL, but flat index 0 holds the number 1/)
    refusal(() => checkJsonValues('x', 'BYTES', [null]), /is BYTES, but flat index 0 holds null/)
    refusal(() => checkJsonValues('x', 'FP32', [Infinity]), /overflows a double/)
  })

  it('writes typed outputs as their bytes and string outputs with lengths', () => {
    assert.deepEqual(writeBinaryTensor(new Float64Array([1.5])), Buffer.from(new Float64Array([1.5]).buffer))
    const long = Float64Array.from({ length: 20 }, (_, i) => i - 0.5)
    assert.deepEqual(writeBinaryTensor(long), Buffer.from(long.buffer))
    assert.deepEqual(writeBinaryTensor(['ab']), Buffer.from([2, 0, 0, 0, 0x61, 0x62]))
    assert.deepEqual(writeBinaryTensor([1, 2]), Buffer.from(new BigInt64Array([1n, 2n]).buffer))
    assert.deepEqual(writeBinaryTensor([1, 2.5]), Buffer.from(new Float64Array([1, 2.5]).buffer))
  })
})
