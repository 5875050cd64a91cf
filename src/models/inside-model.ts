import { realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { ModelFormatError } from './model-error.js'

/**
 * Resolves a path written inside an MLmodel file (a flavor's `data`, an input example) against the
 * model directory and refuses anything that lands outside it: absolute paths, `..` segments, and
 * symbolic links pointing out. `realDir` is the directory's own realpath.
 */
export async function resolveInsideModel(realDir: string, relPath: unknown, what: string): Promise<string> {
  if (typeof relPath !== 'string' || relPath === '') throw new ModelFormatError(`${what} must be a relative path string`)
  if (relPath.includes('\0') || isAbsolute(relPath) || /^[A-Za-z]:/.test(relPath) || relPath.split(/[\\/]/).includes('..')) {
    throw new ModelFormatError(`${what} '${relPath}' must be a relative path inside the model directory`)
  }
  const candidate = resolve(realDir, relPath)
  let real: string
  try {
    real = await realpath(candidate)
  } catch {
    throw new ModelFormatError(`${what} '${relPath}' does not exist in the model directory`)
  }
  if (!isInside(realDir, real)) throw new ModelFormatError(`${what} '${relPath}' resolves outside the model directory`)
  return real
}

export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))
}
