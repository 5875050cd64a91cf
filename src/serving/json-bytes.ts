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
