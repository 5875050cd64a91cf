import path from 'node:path'
import { invalidParameter, invalidPath } from '../errors.js'
import { decodePercentFully } from '../percent-decode.js'

// Characters that look like '/' or '\' but that NFKC does not fold to them; the NFKC check below
// catches the rest (．／＼‥ and friends).
const slashLookAlikes = new Set([0x2044, 0x2215, 0x2216, 0x29f5, 0x29f8, 0x29f9])
const bidiControls = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069])
const pathLikeAscii = /[./\\]/
const windowsReservedName = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i
// Linux PATH_MAX and NAME_MAX: a longer path can never be a file, and the file system would answer
// ENAMETOOLONG, which reached clients as a 500.
const maxPathBytes = 4096
const maxNameBytes = 255

export interface SafePathOptions {
  /** Also apply Windows file-name rules (reserved device names, `:`, trailing dot or space). */
  readonly windowsRules?: boolean
}

/**
 * Validates a relative artifact path the way MLflow's `validate_path_is_safe` does, and stricter
 * (docs/security.md §3.1), then returns it normalised: fully percent-decoded, POSIX, no leading
 * './', no trailing '/', no empty or '.' segments. '' (or undefined) is the root.
 * Throws 400 INVALID_PARAMETER_VALUE "Invalid path" for anything that could leave the root.
 * Callers must use the returned value, never the raw one (CVE-2024-1558 class).
 */
export function safeArtifactPath(raw: string | undefined, { windowsRules = process.platform === 'win32' }: SafePathOptions = {}): string {
  if (raw === undefined || raw === '') return ''
  const decoded = decodeFully(raw)
  for (const ch of decoded) if (isRefusedChar(ch)) throw invalidPath()
  if (/^file:/i.test(decoded) || /^[a-z][a-z0-9+.-]*:\/\//i.test(decoded)) throw invalidPath()
  // Leading '/' covers POSIX-absolute and '//host'; the drive check covers 'C:/x' and 'c:foo'.
  if (decoded.startsWith('/') || path.win32.isAbsolute(decoded) || /^[a-z]:/i.test(decoded)) throw invalidPath()
  const segments = decoded.split('/')
  if (segments.includes('..')) throw invalidPath()
  const kept = segments.filter(isKeptSegment)
  if (Buffer.byteLength(decoded) > maxPathBytes || kept.some((s) => Buffer.byteLength(s) > maxNameBytes)) {
    throw invalidParameter(`Invalid path: longer than ${maxPathBytes} bytes, or a name in it longer than ${maxNameBytes}`)
  }
  if (windowsRules && kept.some(isUnsafeOnWindows)) throw invalidPath()
  return kept.join('/')
}

/**
 * Joins relative artifact paths that are already safe (outputs of `safeArtifactPath`, ids that
 * were validated as ids) into one normalised relative POSIX path. Refuses a '..' segment anyway.
 */
export function joinArtifactPath(...parts: string[]): string {
  const segments = parts.flatMap((part) => part.split('/'))
  if (segments.some((s) => s === '..' || s.includes('\\') || s.includes('\0'))) throw invalidPath()
  return segments.filter(isKeptSegment).join('/')
}

const isKeptSegment = (segment: string) => segment !== '' && segment !== '.'

/** Percent-decodes until stable. A malformed escape (`%zz`, a lone `%`, overlong UTF-8) is refused. */
function decodeFully(raw: string): string {
  const decoding = decodePercentFully(raw)
  if ('refused' in decoding) throw invalidPath()
  return decoding.forms.at(-1)!
}

// Iterated by code point, so a surrogate here is a lone one (not valid UTF-16, not a valid name).
function isRefusedChar(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return true
  if (cp < 0x80) return ch === '\\' || ch === '#' || ch === '?'
  if (cp >= 0xd800 && cp <= 0xdfff) return true
  if (bidiControls.has(cp) || slashLookAlikes.has(cp)) return true
  // Never normalise after validating; refuse instead anything that NFKC would turn into '.', '/' or '\'.
  return pathLikeAscii.test(ch.normalize('NFKC'))
}

function isUnsafeOnWindows(segment: string): boolean {
  return /[<>:"|*]/.test(segment) || /[. ]$/.test(segment) || windowsReservedName.test(segment)
}
