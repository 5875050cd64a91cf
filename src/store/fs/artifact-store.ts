import { randomBytes } from 'node:crypto'
import { constants, mkdirSync, realpathSync, type Stats } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { invalidParameter, invalidPath, MlflowError, notFound } from '../../errors.js'
import type { FileInfo } from '../../tracking/entities.js'
import type { ArtifactStore } from '../artifact-store.js'

// Artifacts are readable by the server's user only, whatever the umask (issue #12).
const privateFolder = 0o700
const privateFile = 0o600
// `.<name>.<16 hex>.tmp`, written next to the target and renamed over it; never listed.
const tempFilePattern = /^\..*\.[0-9a-f]{16}\.tmp$/
const tempNameMaxChars = 40 // keeps the temp name under NAME_MAX even for a 255-byte target name

/** Where a relative artifact path lands: `real` has every existing symlink resolved. */
interface Location {
  readonly rel: string
  readonly real: string
  readonly exists: boolean
}

/**
 * Artifacts as plain files under one folder. Paths are confined twice: lexically, then by the real
 * path of the deepest existing ancestor, so a symlink inside the root (`link -> /`) is refused
 * rather than followed (CVE-2023-6977).
 */
export class FsArtifactStore implements ArtifactStore {
  readonly #root: string

  constructor(root: string) {
    // Once, at startup; every containment check compares against this real path.
    mkdirSync(root, { recursive: true, mode: privateFolder })
    this.#root = realpathSync.native(root)
  }

  async put(rel: string, body: Readable): Promise<void> {
    // A body can fail (client gone) before reading starts below; without a listener that error
    // would be uncaught. Reading a failed stream still rejects with it, so nothing is swallowed.
    body.on('error', () => {})
    const target = await this.#locate(rel)
    if (target.exists && (await fs.stat(target.real)).isDirectory()) {
      throw invalidParameter(`Cannot write file '${rel}': a folder exists at that path`)
    }
    const folder = path.dirname(target.real)
    try {
      await fs.mkdir(folder, { recursive: true, mode: privateFolder })
    } catch (err) {
      if (hasCode(err, 'EEXIST', 'ENOTDIR')) throw invalidParameter(`Cannot write file '${rel}': a file exists where a folder is needed`, { cause: err })
      if (hasCode(err, 'ENAMETOOLONG')) throw tooLong(rel, err)
      throw err
    }
    // Narrows the window in which a folder could have been swapped for a symlink since #locate.
    this.#assertInside(await fs.realpath(folder))
    const base = path.basename(target.real)
    const temp = path.join(folder, `.${[...base].slice(0, tempNameMaxChars).join('')}.${randomBytes(8).toString('hex')}.tmp`)
    try {
      await writeDurably(temp, body)
      await fs.rename(temp, path.join(folder, base))
    } catch (err) {
      await fs.rm(temp, { force: true })
      if (hasCode(err, 'EISDIR')) throw invalidParameter(`Cannot write file '${rel}': a folder exists at that path`, { cause: err })
      if (hasCode(err, 'ENAMETOOLONG')) throw tooLong(rel, err)
      throw err
    }
    await syncFolder(folder)
  }

  async get(rel: string): Promise<{ readonly stream: Readable; readonly size: number }> {
    const target = await this.#locate(rel)
    if (!target.exists) throw notFound(`Artifact '${rel}' does not exist`)
    let handle: fs.FileHandle
    try {
      // O_NOFOLLOW: the last component cannot have become a symlink since #locate resolved it.
      handle = await fs.open(target.real, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) throw notFound(`Artifact '${rel}' does not exist`)
      if (hasCode(err, 'ELOOP')) throw invalidPath()
      throw err
    }
    const stat = await handle.stat()
    if (!stat.isFile()) {
      await handle.close()
      throw notFound(`Artifact '${rel}' is a folder, not a file`)
    }
    return { stream: handle.createReadStream(), size: stat.size }
  }

  async list(rel: string): Promise<readonly FileInfo[]> {
    const target = await this.#locate(rel)
    if (!target.exists) return []
    const stat = await fs.stat(target.real)
    if (!stat.isDirectory()) return []
    const entries = await fs.readdir(target.real, { withFileTypes: true })
    const infos: FileInfo[] = []
    for (const entry of entries) {
      if (tempFilePattern.test(entry.name)) continue
      const info = await this.#describe(path.join(target.real, entry.name), entry.name)
      if (info) infos.push(info)
    }
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  async delete(rel: string): Promise<void> {
    const lexical = path.resolve(this.#root, rel)
    if (lexical === this.#root) throw invalidParameter('Cannot delete the artifact root')
    const target = await this.#locate(rel)
    if (!target.exists) return
    // Remove the entry itself (a symlink inside the root goes, not what it points to); fs.rm does
    // not follow symlinks found inside a folder either.
    const folder = await fs.realpath(path.dirname(lexical))
    this.#assertInside(folder)
    await fs.rm(path.join(folder, path.basename(lexical)), { recursive: true, force: true })
  }

  /** Confines `rel` lexically, then by the real path of its deepest existing ancestor. */
  async #locate(rel: string): Promise<Location> {
    if (rel.includes('\0')) throw invalidPath()
    const lexical = path.resolve(this.#root, rel)
    this.#assertInside(lexical)
    const missing: string[] = []
    let current = lexical
    for (;;) {
      try {
        const real = await fs.realpath(current)
        this.#assertInside(real)
        return { rel, real: path.join(real, ...missing.reverse()), exists: missing.length === 0 }
      } catch (err) {
        if (err instanceof MlflowError) throw err
        if (hasCode(err, 'ELOOP', 'ENAMETOOLONG')) throw invalidPath()
        if (!hasCode(err, 'ENOENT', 'ENOTDIR') || current === this.#root) throw err
        // A dangling symlink: following it on write would create a file wherever it points.
        if (await isSymlink(current)) throw invalidPath()
        missing.push(path.basename(current))
        current = path.dirname(current)
      }
    }
  }

  /** One listing entry; symlinks are described by their target, or left out if it leaves the root. */
  async #describe(full: string, name: string): Promise<FileInfo | undefined> {
    let stat: Stats
    try {
      const real = await fs.realpath(full)
      if (!this.#isInside(real)) return undefined
      stat = await fs.stat(real)
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR', 'ELOOP')) return undefined
      throw err
    }
    if (stat.isDirectory()) return { path: name, isDir: true }
    if (stat.isFile()) return { path: name, isDir: false, fileSize: stat.size }
    return undefined
  }

  #isInside(candidate: string): boolean {
    const prefix = this.#root.endsWith(path.sep) ? this.#root : this.#root + path.sep
    return candidate === this.#root || candidate.startsWith(prefix)
  }

  #assertInside(candidate: string): void {
    if (!this.#isInside(candidate)) throw invalidPath()
  }
}

/** Streams `body` into a new file (O_EXCL, so never through a symlink) and fsyncs it. */
async function writeDurably(file: string, body: Readable): Promise<void> {
  const handle = await fs.open(file, 'wx', privateFile)
  try {
    for await (const chunk of body) {
      const bytes: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array)
      for (let offset = 0; offset < bytes.length; ) {
        offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten
      }
    }
    await handle.sync()
  } finally {
    await handle.close()
  }
}

// Makes the rename itself durable; some file systems cannot fsync a folder, which is not fatal.
async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, 'r')
  try {
    await handle.sync()
  } catch (err) {
    if (!hasCode(err, 'EINVAL', 'EBADF', 'EISDIR')) throw err
  } finally {
    await handle.close()
  }
}

async function isSymlink(file: string): Promise<boolean> {
  try {
    return (await fs.lstat(file)).isSymbolicLink()
  } catch {
    return false
  }
}

// The store's own folder counts towards PATH_MAX too, so a path the API accepted can still be too long here.
const tooLong = (rel: string, cause: unknown) =>
  invalidParameter(`Invalid path: '${rel.slice(0, 100)}...' is too long for the artifact store's file system`, { cause })

function hasCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '')
}
