/** The bytes of JSON's structure, for the readers that scan request bodies without JSON.parse. */
export const QUOTE = 0x22
export const COMMA = 0x2c
export const COLON = 0x3a
export const OPEN_BRACKET = 0x5b
export const CLOSE_BRACKET = 0x5d
export const OPEN_BRACE = 0x7b
export const CLOSE_BRACE = 0x7d
export const BACKSLASH = 0x5c

/** JSON's four whitespace bytes (RFC 8259 §2); undefined (past the end) is not space. */
export const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

/**
 * Whether `bytes` holds `expected` at `at`. A loop up to a few hundred bytes (a key, a column list,
 * a V2 header or the JSON around a request's data): there Buffer.compare's argument checks and
 * native call cost more than the comparison. Natively past that.
 */
export function bytesAt(bytes: Buffer, at: number, expected: Buffer): boolean {
  const end = at + expected.length
  if (at < 0 || end > bytes.length) return false
  if (expected.length > NATIVE_COMPARE_FROM) return bytes.compare(expected, 0, expected.length, at, end) === 0
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false
  return true
}
const NATIVE_COMPARE_FROM = 256
