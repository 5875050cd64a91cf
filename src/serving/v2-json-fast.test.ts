import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { V2JsonReader } from './v2-json-fast.js'
import { readV2Request, type V2Request } from './v2-request.js'

/** The request as plain data (typed arrays as arrays), so both readers' results compare with deepEqual. */
const plain = (r: V2Request) => ({ ...r, inputs: r.inputs.map((i) => ({ ...i, values: Array.from(i.values) })) })

/** Reads the body both ways: the same request, or the same error. */
function sameBothWays(body: string): V2Request | undefined {
  const bytes = Buffer.from(body)
  let general: V2Request | Error
  let fast: V2Request | Error
  try {
    general = readV2Request(bytes, {}, false)
  } catch (err) {
    general = err as Error
  }
  try {
    fast = readV2Request(bytes, {}, true)
  } catch (err) {
    fast = err as Error
  }
  if (general instanceof Error) {
    assert.ok(fast instanceof Error, `the fast path accepted what JSON.parse's refuses (${general.message}): ${body.slice(0, 120)}`)
    assert.equal(fast.message, general.message)
    return undefined
  }
  assert.ok(!(fast instanceof Error), `the fast path refused what JSON.parse's accepts: ${(fast as Error).message}`)
  assert.deepEqual(plain(fast), plain(general))
  return fast
}

/** Deterministic decimals of every kind JSON writes: 17 significant digits, exponents, negatives, -0, integers. */
function numbers(count: number, seed: number): string[] {
  let s = seed
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const v = (next() - 0.5) * 10 ** Math.floor(next() * 20 - 10)
    const kind = i % 7
    out.push(
      kind === 0
        ? v.toPrecision(17)
        : kind === 1
          ? v.toExponential(16)
          : kind === 2
            ? String(Math.round(v * 1000))
            : kind === 3
              ? '-0'
              : kind === 4
                ? v.toExponential(3).replace('e', 'E')
                : String(v),
    )
  }
  return out
}

const tensor = (name: string, datatype: string, shape: number[], data: string, extra = '') =>
  `{"name":${JSON.stringify(name)},"shape":${JSON.stringify(shape)},"datatype":"${datatype}",${extra}"data":${data}}`

describe('V2 JSON fast reader', () => {
  const values = numbers(60, 7)
  const flat = `[${values.join(',')}]`
  const rows = `[${Array.from({ length: 6 }, (_, r) => `[${values.slice(r * 10, r * 10 + 10).join(', ')}]`).join(',\n ')}]`

  it('reads FP64 and FP32 data, flat or in rows, to the numbers JSON.parse reads', () => {
    const bodies = [
      `{"inputs":[${tensor('x', 'FP64', [6, 10], flat)}]}`,
      `{"inputs":[${tensor('x', 'FP64', [6, 10], rows)}]}`,
      `{"inputs":[${tensor('x', 'FP32', [60], flat)}]}`,
      ` {\n "id": "r1",\n "inputs": [ ${tensor('a', 'FP32', [6, 10], rows, '"parameters":{"content_type":"np"},')} , ${tensor('b', 'FP64', [60], flat)} ],\n "outputs": [{"name":"prediction"}],\n "parameters": {"binary_data_output": false} }\n`,
      // data before the other keys, and a name that looks like a data key
      `{"inputs":[{"data":${flat},"name":"\\"data\\":[1]","shape":[60],"datatype":"FP64"}]}`,
      `{"inputs":[${tensor('x', 'FP64', [0], '[]')}]}`,
    ]
    for (const body of bodies) {
      const read = new V2JsonReader().read(Buffer.from(body))
      assert.ok(read, `the fast reader took ${body.slice(0, 80)}`)
      const request = sameBothWays(body)!
      assert.equal(request.inputs.length, read.data.size)
      for (const input of request.inputs) assert.ok(input.values instanceof Float64Array, 'values from the fast reader')
    }
  })

  it('leaves integer, BYTES and BOOL tensors to JSON.parse, beside float tensors it reads', () => {
    const body = `{"inputs":[${tensor('f', 'FP64', [3], '[1.5,2,3]')},${tensor('s', 'BYTES', [1], '["a"]')}]}`
    const request = sameBothWays(body)!
    assert.ok(request.inputs[0]!.values instanceof Float64Array)
    assert.deepEqual(request.inputs[1]!.values, ['a'])
    // Numbers in an INT32 tensor: read the general way (its range checks and messages).
    const ints = sameBothWays(`{"inputs":[${tensor('i', 'INT32', [3], '[1,2,3]')}]}`)!
    assert.ok(Array.isArray(ints.inputs[0]!.values))
  })

  it('gives every body outside its subset the general reader, with the same answer or the same error', () => {
    const refused = [
      `{"inputs":[${tensor('x', 'FP64', [3], '[1,null,3]')}]}`,
      `{"inputs":[${tensor('x', 'FP64', [3], '[1,1e400,3]')}]}`,
      `{"inputs":[${tensor('x', 'FP64', [4], '[1,2,3]')}]}`,
      `{"inputs":[${tensor('x', 'FP64', [3], '[1,2,3]')}]} trailing`,
      `{"inputs":[${tensor('x', 'FP64', [3], '[1,2,3,]')}]}`,
      `{"inputs":[${tensor('x', 'FP64', [3], '[01,2,3]')}]}`,
      `{"inputs":[${tensor('x', 'FP64', [3], '[1,2,3]', '"parameters":{"binary_data_size":24},')}]}`,
      `{"inputs":[${tensor('x', 'INT8', [3], '[1,2,300]')}]}`,
      `{"inputs":[${tensor('x', 'FP32', [2], '["1",2]')}]}`,
      `{"inputs":[${tensor('x', 'FP64', [2, 1], '[[1],[2,3]]')}]}`,
    ]
    for (const body of refused) assert.equal(sameBothWays(body), undefined, body)
    const accepted = [
      // another spelling of the keys, duplicates (JSON.parse keeps the last), deeper nesting
      `{"inputs":[{"name":"x","shape":[3],"datatype":"FP64","d\\u0061ta":[1,2,3]}]}`,
      `{"inputs":[${tensor('x', 'FP64', [3], '[9,9,9]', '"data":[1,2,3],')}]}`,
      `{"inputs":[${tensor('x', 'FP64', [3], '[9,9,9]')}],"inputs":[${tensor('y', 'FP64', [3], '[1,2,3]')}]}`,
      `{"inputs":[${tensor('x', 'FP64', [2, 1, 2], '[[[1,2]],[[3,4]]]')}]}`,
    ]
    for (const body of accepted) assert.ok(sameBothWays(body), body)
  })
  it('reads each body of a repeated shape to its own numbers, and two float inputs each to theirs', () => {
    // The second body has the first's skeleton (its parse is reused) with other numbers.
    for (const seed of [1, 2, 3]) {
      const flat = numbers(20, seed)
      const read = sameBothWays(`{"inputs": [{"name": "x", "shape": [2, 10], "datatype": "FP64", "data": [${flat.join(',')}]}]}`)
      assert.deepEqual(Array.from(read!.inputs[0]!.values), flat.map(Number))
    }
    const a = numbers(3, 4)
    const b = numbers(3, 5)
    const two = `{"inputs": [{"name": "a", "shape": [3], "datatype": "FP64", "data": [${a.join(',')}]}, {"name": "b", "shape": [3], "datatype": "FP32", "data": [${b.join(',')}]}]}`
    for (let i = 0; i < 2; i++) {
      const read = sameBothWays(two)!
      assert.deepEqual(Array.from(read.inputs[0]!.values), a.map(Number))
      assert.deepEqual(Array.from(read.inputs[1]!.values), b.map(Number))
    }
    // A skeleton that differs by one byte is parsed again.
    const read = sameBothWays(two.replace('"b"', '"c"'))!
    assert.equal(read.inputs[1]!.name, 'c')
  })

  it('reads bodies that repeat the last one around their data arrays to their own numbers, as JSON.parse does', () => {
    const one = (data: string, name = 'x', shape = '[2]') => `{"inputs":[{"name":"${name}","shape":${shape},"datatype":"FP64","data":${data}}]}`
    const two = (a: string, b: string) =>
      `{"inputs":[{"name":"a","shape":[2],"datatype":"FP64","data":${a}},{"name":"b","shape":[2],"datatype":"FP64","data":${b}}]}`
    const bodies = [
      one('[1.5, 2]'),
      one('[3, -4.25]'),
      one('[3,-4.25e2]'),
      one('[7, 8, 9]'), // same bytes around it, a value too many: the shape's error
      one('[1, null]'), // null is no FP64 value
      one('[[5, 6]]'), // rows where the last body had a flat list: shape [2] takes its 2 values
      `${one('[1, 2]')} `, // bytes after the last body's end
      one('[1, 2]', 'y'),
      one('[1, 2]', 'y', '[1, 2]'),
      two('[1, 2]', '[3, 4]'),
      two('[5, 6]', '[7, 8.5]'), // both arrays read again: the first moved out of the reader's memory before the second
      two('[1, 2]', '0'),
      two('0', '[1, 2]'), // the same skeleton, the array now in the other input
      two('[9, 10]', '0'),
    ]
    for (const body of bodies) sameBothWays(body)
    assert.deepEqual(Array.from(readV2Request(Buffer.from(two('[5, 6]', '[7, 8.5]')), {}).inputs[0]!.values), [5, 6])
  })

  it('reads binary requests with a repeated header to their own data, and a changed header anew', () => {
    const body = (name: string, values: number[]) => {
      const header = Buffer.from(
        JSON.stringify({ inputs: [{ name, shape: [values.length], datatype: 'FP64', parameters: { binary_data_size: 8 * values.length } }] }),
      )
      return {
        bytes: Buffer.concat([header, Buffer.from(new Float64Array(values).buffer)]),
        headers: { 'inference-header-content-length': String(header.length) },
      }
    }
    for (const [name, values] of [
      ['x', [1.5, 2]],
      ['x', [3, -4.25]],
      ['y', [5, 6]],
    ] as const) {
      const { bytes, headers } = body(name, [...values])
      const read = readV2Request(bytes, headers)
      assert.equal(read.inputs[0]!.name, name)
      assert.deepEqual(Array.from(read.inputs[0]!.values), values)
    }
    // The repeated header's checked plan still holds its data to the header's binary_data_size.
    const { bytes, headers } = body('y', [1, 2])
    assert.throws(() => readV2Request(bytes.subarray(0, bytes.length - 8), headers), /needs 16 bytes of binary data, but only 8 are left/)
    assert.throws(() => readV2Request(Buffer.concat([bytes, Buffer.alloc(8)]), headers), /8 bytes after the binary inputs/)
  })
})
