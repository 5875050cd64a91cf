import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, posix, resolve } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { proxiedPath } from '../client/index.js'
import type { RegistryClient } from './registry-client.js'

/** Written at download time beside the files; checked on every load (size and sha256 of each file). */
export const manifestName = '.wharf-manifest.json'

export interface Manifest {
  readonly storageLocation: string
  readonly files: readonly { readonly path: string; readonly size: number; readonly sha256: string }[]
}

const limits = { files: 1000, depth: 8, totalBytes: 4 * 1024 ** 3 }

/** A name from a remote listing, used as one path segment: a plain file name or nothing (docs/security.md §3.5). */
export function safeEntryName(listed: string): string {
  const name = posix.basename(listed.replace(/\\/g, '/'))
  let decoded: string
  try {
    decoded = decodeURIComponent(name)
  } catch {
    throw new Error(`refusing artifact name ${JSON.stringify(listed.slice(0, 80))}: bad percent-encoding`)
  }
  // eslint-disable-next-line no-control-regex
  const bad = name === '' || name === '.' || name === '..' || decoded !== name || /[\u0000-\u001f\u007f/\\:]/.test(name) || name === manifestName
  if (bad) throw new Error(`refusing artifact name ${JSON.stringify(listed.slice(0, 80))} from the server`)
  return name
}

const cacheKey = (storageLocation: string) => createHash('sha256').update(storageLocation).digest('hex').slice(0, 40)

/**
 * The local copy of a model stored at `storageLocation` (an `mlflow-artifacts:` URI), downloaded
 * through the tracking server's artifact proxy on first use. The cache folder is keyed by the
 * location; a copy whose manifest does not verify is downloaded again. Downloads land in a temp
 * folder renamed into place, so workers downloading at once never see half a model.
 */
export async function fetchModel(client: RegistryClient, storageLocation: string, cacheDir: string): Promise<string> {
  const root = proxiedPath(storageLocation)
  const dir = resolve(cacheDir, cacheKey(storageLocation))
  if (await isVerified(dir, storageLocation)) return dir
  await mkdir(cacheDir, { recursive: true })
  const tmp = resolve(cacheDir, `.tmp-${cacheKey(storageLocation)}-${randomBytes(6).toString('hex')}`)
  try {
    const files = await download(client, root, tmp)
    await writeFile(join(tmp, manifestName), JSON.stringify({ storageLocation, files } satisfies Manifest, null, 1))
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir).catch(async (err) => {
      if (!(await isVerified(dir, storageLocation))) throw err // another worker won the race only if its copy is good
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  await verifyManifest(dir, storageLocation)
  return dir
}

async function download(client: RegistryClient, root: string, into: string): Promise<Manifest['files']> {
  const files: { path: string; size: number; sha256: string }[] = []
  let total = 0
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > limits.depth) throw new Error(`the model folder nests deeper than ${limits.depth} levels`)
    await mkdir(join(into, ...rel.split('/').filter(Boolean)), { recursive: true })
    for (const entry of await client.listArtifacts([root, rel].filter(Boolean).join('/'))) {
      const name = safeEntryName(String(entry.path))
      const child = rel ? `${rel}/${name}` : name
      if (entry.is_dir) {
        await walk(child, depth + 1)
        continue
      }
      if (files.length >= limits.files) throw new Error(`the model has more than ${limits.files} files`)
      const file = await downloadFile(client, `${root}/${child}`, join(into, ...child.split('/')))
      if (entry.file_size !== undefined && Number(entry.file_size) !== file.size)
        throw new Error(`'${child}' is ${file.size} bytes, but the server listed ${entry.file_size}`)
      total += file.size
      if (total > limits.totalBytes) throw new Error('the model is larger than 4 GiB')
      files.push({ path: child, ...file })
    }
  }
  await walk('', 0)
  if (!files.some((f) => f.path === 'MLmodel')) throw new Error(`no MLmodel file at ${root}: not an MLflow model`)
  return files
}

async function downloadFile(client: RegistryClient, remote: string, local: string): Promise<{ size: number; sha256: string }> {
  const response = await client.downloadArtifact(remote)
  const hash = createHash('sha256')
  let size = 0
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk)
      size += chunk.length
      cb(null, chunk)
    },
  })
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), meter, createWriteStream(local, { flags: 'wx' }))
  const declared = response.headers.get('content-length')
  if (declared !== null && Number(declared) !== size) throw new Error(`'${remote}' was cut short: ${size} of ${declared} bytes`)
  return { size, sha256: hash.digest('hex') }
}

async function isVerified(dir: string, storageLocation: string): Promise<boolean> {
  try {
    await verifyManifest(dir, storageLocation)
    return true
  } catch {
    return false
  }
}

/** Throws unless every file the manifest lists is there, a regular file, with its size and sha256, and nothing else is. */
async function verifyManifest(dir: string, storageLocation?: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, manifestName), 'utf8')) as Manifest
  if (storageLocation !== undefined && manifest.storageLocation !== storageLocation) throw new Error(`cached model at ${dir} is for another location`)
  const listed = new Set(manifest.files.map((f) => f.path))
  for (const f of manifest.files) {
    const path = join(dir, ...f.path.split('/').map(safeEntryName))
    const info = await lstat(path)
    if (!info.isFile() || info.size !== f.size) throw new Error(`cached model file '${f.path}' changed size or type`)
    if ((await sha256File(path)) !== f.sha256) throw new Error(`cached model file '${f.path}' does not match its sha256`)
  }
  for (const found of await listFiles(dir, '')) if (!listed.has(found)) throw new Error(`cached model has an unexpected file '${found}'`)
}

async function listFiles(dir: string, rel: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${e.name}` : e.name
    if (child === manifestName) continue
    if (e.isDirectory()) out.push(...(await listFiles(dir, child)))
    else out.push(child)
  }
  return out
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
