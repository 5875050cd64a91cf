import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { extname, join, relative, sep } from 'node:path'
import { gzipSync } from 'node:zlib'

/** One file of the built UI, held in memory (the whole UI is a few hundred kilobytes). */
export interface UiFile {
  readonly body: Buffer
  /** Present when compressing saves something. */
  readonly gzip?: Buffer | undefined
  readonly contentType: string
  readonly etag: string
  /** Names carrying a content hash never change, so browsers may keep them for a year. */
  readonly isImmutable: boolean
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
}

const compressible = new Set(['.html', '.js', '.css', '.map', '.json', '.svg', '.txt'])

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

/**
 * Reads the built UI (`npm run build` writes it to dist/ui-app/) into a map from URL path to file.
 * Undefined when the folder is missing, as in a checkout that was compiled but not bundled.
 */
export async function loadUiFiles(dir: string): Promise<ReadonlyMap<string, UiFile> | undefined> {
  let paths: string[]
  try {
    paths = await listFiles(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const files = new Map<string, UiFile>()
  for (const path of paths) {
    const ext = extname(path).toLowerCase()
    const contentType = contentTypes[ext]
    if (contentType === undefined) continue
    const body = await readFile(path)
    const gzip = compressible.has(ext) ? gzipSync(body, { level: 9 }) : undefined
    const urlPath = `/${relative(dir, path).split(sep).join('/')}`
    files.set(urlPath, {
      body,
      gzip: gzip && gzip.length < body.length ? gzip : undefined,
      contentType,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      isImmutable: urlPath.startsWith('/assets/') && /-[A-Z0-9]{8,}\.[a-z0-9]+$/i.test(urlPath),
    })
  }
  return files
}
