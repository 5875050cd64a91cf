import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { MlflowError } from '../../errors.js'
import { FsArtifactStore } from './artifact-store.js'
import { tempDir, waitFor } from '../../testing/fixtures.js'

const isInvalidPath = (err: unknown) => err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE' && err.message === 'Invalid path'
const isInvalidParameter = (err: unknown) => err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE'
const isNotFound = (err: unknown) => err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST' && err.status === 404

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** A body that sends `first`, then fails as a dropped upload would. */
function failingBody(first: Buffer): Readable {
  const body = new PassThrough()
  body.write(first)
  setTimeout(() => body.destroy(new Error('connection reset')), 10)
  return body
}

const exists = (file: string) =>
  fs.lstat(file).then(
    () => true,
    () => false,
  )

describe('FsArtifactStore', () => {
  let base: string
  let root: string
  let store: FsArtifactStore

  before(async () => {
    base = await fs.realpath(await tempDir('fs-artifacts'))
    root = path.join(base, 'data')
    store = new FsArtifactStore(root)
  })

  after(async () => {
    await fs.rm(base, { recursive: true, force: true })
  })

  it('creates its root folder when it is missing', async () => {
    assert.equal((await fs.stat(root)).isDirectory(), true)
  })

  describe('round trips', () => {
    it('stores and returns an empty file', async () => {
      await store.put('empty.txt', Readable.from([]))
      const { stream, size } = await store.get('empty.txt')
      assert.equal(size, 0)
      assert.equal((await readAll(stream)).length, 0)
    })

    it('stores and returns a 5 MB file byte for byte', async () => {
      const bytes = randomBytes(5 * 1024 * 1024)
      const chunks = Array.from({ length: 80 }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536))
      await store.put('big/model.bin', Readable.from(chunks))
      const { stream, size } = await store.get('big/model.bin')
      assert.equal(size, bytes.length)
      assert.equal(sha256(await readAll(stream)), sha256(bytes))
    })

    it('creates nested folders for a deep file', async () => {
      await store.put('runs/1/artifacts/model/MLmodel', Readable.from(['flavors: {}\n']))
      const { stream } = await store.get('runs/1/artifacts/model/MLmodel')
      assert.equal((await readAll(stream)).toString(), 'flavors: {}\n')
      assert.equal((await fs.stat(path.join(root, 'runs/1/artifacts/model'))).isDirectory(), true)
    })

    it('replaces an existing file with the new content', async () => {
      await store.put('replace.txt', Readable.from(['old']))
      await store.put('replace.txt', Readable.from(['new content']))
      assert.equal((await readAll((await store.get('replace.txt')).stream)).toString(), 'new content')
    })
  })

  describe('get', () => {
    it('returns RESOURCE_DOES_NOT_EXIST for a missing file', async () => {
      await assert.rejects(store.get('no/such/file.txt'), isNotFound)
    })

    it('returns RESOURCE_DOES_NOT_EXIST for a folder', async () => {
      await assert.rejects(store.get('runs/1'), isNotFound)
    })

    it('returns RESOURCE_DOES_NOT_EXIST below a file', async () => {
      await assert.rejects(store.get('empty.txt/child'), isNotFound)
    })
  })

  describe('list', () => {
    it('lists one level sorted by name with sizes only for files', async () => {
      const listRoot = 'listing'
      await store.put(`${listRoot}/b.txt`, Readable.from(['bb']))
      await store.put(`${listRoot}/a.txt`, Readable.from(['a']))
      await store.put(`${listRoot}/c/deep.txt`, Readable.from(['deep']))
      assert.deepEqual(await store.list(listRoot), [
        { path: 'a.txt', isDir: false, fileSize: 1 },
        { path: 'b.txt', isDir: false, fileSize: 2 },
        { path: 'c', isDir: true },
      ])
    })

    it('lists the root for the empty path', async () => {
      const names = (await store.list('')).map((info) => info.path)
      assert.ok(names.includes('listing') && names.includes('empty.txt'))
    })

    it('lists nothing for a file path, as mlflow server does (the MLflow 2 client relies on it)', async () => {
      assert.deepEqual(await store.list('listing/b.txt'), [])
    })

    it('lists nothing for a missing path', async () => {
      assert.deepEqual(await store.list('no/such/folder'), [])
    })

    it('never shows the temp file of an upload in progress, and readers still see the old file', async () => {
      await store.put('slow/file.txt', Readable.from(['old']))
      const body = new PassThrough()
      const upload = store.put('slow/file.txt', body)
      body.write('new, first half ')
      const hasTempFile = async () => (await fs.readdir(path.join(root, 'slow'))).some((name) => name.endsWith('.tmp'))
      await waitFor('the temp file on disk', hasTempFile)
      assert.deepEqual(await store.list('slow'), [{ path: 'file.txt', isDir: false, fileSize: 3 }])
      assert.equal((await readAll((await store.get('slow/file.txt')).stream)).toString(), 'old')
      body.end('second half')
      await upload
      assert.equal((await readAll((await store.get('slow/file.txt')).stream)).toString(), 'new, first half second half')
      assert.deepEqual(await fs.readdir(path.join(root, 'slow')), ['file.txt'])
    })
  })

  describe('atomic put', () => {
    it('leaves no file and no temp file when the body fails halfway', async () => {
      await assert.rejects(store.put('broken/upload.bin', failingBody(randomBytes(1024 * 1024))), /connection reset/)
      await assert.rejects(store.get('broken/upload.bin'), isNotFound)
      assert.deepEqual(await fs.readdir(path.join(root, 'broken')), [])
    })

    it('reports a body that failed before reading started, without an uncaught error', async () => {
      const body = new PassThrough()
      body.destroy(new Error('connection reset'))
      await assert.rejects(store.put('broken/early.bin', body), /connection reset/)
      await assert.rejects(store.get('broken/early.bin'), isNotFound)
    })

    it('keeps the previous file intact when a replacing body fails', async () => {
      await store.put('kept.txt', Readable.from(['original']))
      await assert.rejects(store.put('kept.txt', failingBody(Buffer.from('partial'))), /connection reset/)
      assert.equal((await readAll((await store.get('kept.txt')).stream)).toString(), 'original')
      assert.deepEqual(
        (await fs.readdir(root)).filter((name) => name.includes('kept')),
        ['kept.txt'],
      )
    })
  })

  describe('files versus folders', () => {
    it('refuses to write a file where a folder exists', async () => {
      await assert.rejects(store.put('runs/1', Readable.from(['x'])), isInvalidParameter)
      assert.equal((await fs.stat(path.join(root, 'runs/1'))).isDirectory(), true)
    })

    it('refuses to write below a file as if it were a folder', async () => {
      await assert.rejects(store.put('empty.txt/child.txt', Readable.from(['x'])), isInvalidParameter)
      assert.equal((await fs.stat(path.join(root, 'empty.txt'))).isFile(), true)
    })

    it('refuses to write a file at the root itself', async () => {
      await assert.rejects(store.put('', Readable.from(['x'])), isInvalidParameter)
    })
  })

  describe('delete', () => {
    it('removes a file', async () => {
      await store.put('del/one.txt', Readable.from(['1']))
      await store.delete('del/one.txt')
      assert.equal(await exists(path.join(root, 'del/one.txt')), false)
    })

    it('removes a folder recursively', async () => {
      await store.put('del/tree/a/b.txt', Readable.from(['b']))
      await store.put('del/tree/c.txt', Readable.from(['c']))
      await store.delete('del/tree')
      assert.equal(await exists(path.join(root, 'del/tree')), false)
    })

    it('treats a missing path as already deleted, and changes nothing', async () => {
      await store.put('del/kept.txt', Readable.from(['k']))
      const before = (await fs.readdir(root, { recursive: true })).sort()
      await assert.doesNotReject(store.delete('del/never/there.txt'))
      await assert.doesNotReject(store.delete('never/there'))
      assert.deepEqual((await fs.readdir(root, { recursive: true })).sort(), before)
      assert.equal(await exists(path.join(root, 'del/kept.txt')), true)
    })

    it('refuses to delete the root', async () => {
      for (const rel of ['', '.', 'a/..']) await assert.rejects(store.delete(rel), isInvalidParameter, rel)
      assert.equal(await exists(path.join(root, 'empty.txt')), true)
    })
  })

  describe('confinement', () => {
    it('refuses paths that leave the root lexically, including a sibling that shares its prefix', async () => {
      await fs.mkdir(path.join(base, 'database'), { recursive: true })
      await fs.writeFile(path.join(base, 'database', 'secret.txt'), 'secret')
      await assert.rejects(store.get('../database/secret.txt'), isInvalidPath)
      await assert.rejects(store.get(path.join(base, 'database', 'secret.txt')), isInvalidPath)
      await assert.rejects(store.put('../database/new.txt', Readable.from(['x'])), isInvalidPath)
      await assert.rejects(store.delete('../database'), isInvalidPath)
      await assert.rejects(store.list('..'), isInvalidPath)
      assert.equal(await exists(path.join(base, 'database', 'new.txt')), false)
      assert.equal(await fs.readFile(path.join(base, 'database', 'secret.txt'), 'utf8'), 'secret')
    })

    it('refuses a NUL byte instead of failing inside the file system', async () => {
      await assert.rejects(store.get('a\0b'), isInvalidPath)
    })
  })

  describe('symlink escapes', () => {
    let outside: string

    before(async () => {
      outside = path.join(base, 'outside')
      await fs.mkdir(outside, { recursive: true })
      await fs.writeFile(path.join(outside, 'secret.txt'), 'secret')
      await fs.symlink('/', path.join(root, 'link'))
      await fs.symlink(outside, path.join(root, 'dirlink'))
      await fs.symlink(path.join(outside, 'planted.txt'), path.join(root, 'dangling'))
    })

    const outsideUntouched = async () => {
      assert.deepEqual((await fs.readdir(outside)).sort(), ['secret.txt'])
      assert.equal(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret')
    }

    it('refuses to read through a symlink to / or to a folder outside', async () => {
      await assert.rejects(store.get('link/etc/passwd'), isInvalidPath)
      await assert.rejects(store.get('dirlink/secret.txt'), isInvalidPath)
      await assert.rejects(store.get(`link${outside}/secret.txt`), isInvalidPath)
    })

    it('refuses to list through a symlink that leaves the root', async () => {
      await assert.rejects(store.list('link'), isInvalidPath)
      await assert.rejects(store.list('link/etc'), isInvalidPath)
      await assert.rejects(store.list('dirlink'), isInvalidPath)
      await assert.rejects(store.list('dirlink/secret.txt'), isInvalidPath)
    })

    it('leaves escaping symlinks out of the listing of their folder', async () => {
      const names = (await store.list('')).map((info) => info.path)
      assert.ok(!names.includes('link') && !names.includes('dirlink') && !names.includes('dangling'))
    })

    it('refuses to write through a symlink, including a new file and a dangling link', async () => {
      await assert.rejects(store.put('dirlink/secret.txt', Readable.from(['pwned'])), isInvalidPath)
      await assert.rejects(store.put('dirlink/new.txt', Readable.from(['pwned'])), isInvalidPath)
      await assert.rejects(store.put('dirlink/sub/new.txt', Readable.from(['pwned'])), isInvalidPath)
      await assert.rejects(store.put(`link${outside}/new.txt`, Readable.from(['pwned'])), isInvalidPath)
      await assert.rejects(store.put('dangling', Readable.from(['pwned'])), isInvalidPath)
      await outsideUntouched()
    })

    it('refuses to delete through a symlink or the escaping symlink itself', async () => {
      await assert.rejects(store.delete('dirlink/secret.txt'), isInvalidPath)
      await assert.rejects(store.delete(`link${outside}`), isInvalidPath)
      await assert.rejects(store.delete('link/nonexistent/x'), isInvalidPath)
      await assert.rejects(store.delete('dirlink'), isInvalidPath)
      await outsideUntouched()
      assert.equal(await exists(path.join(root, 'dirlink')), true)
    })

    it('deletes a folder holding an escaping symlink without following it', async () => {
      await store.put('holder/keep.txt', Readable.from(['k']))
      await fs.symlink(outside, path.join(root, 'holder', 'escape'))
      await store.delete('holder')
      assert.equal(await exists(path.join(root, 'holder')), false)
      await outsideUntouched()
    })

    it('follows a symlink that stays inside the root', async () => {
      await store.put('real/inner.txt', Readable.from(['inner']))
      await fs.symlink(path.join(root, 'real'), path.join(root, 'alias'))
      assert.equal((await readAll((await store.get('alias/inner.txt')).stream)).toString(), 'inner')
      assert.deepEqual(await store.list('alias'), [{ path: 'inner.txt', isDir: false, fileSize: 5 }])
      await store.delete('alias')
      assert.equal(await exists(path.join(root, 'alias')), false)
      assert.equal(await exists(path.join(root, 'real', 'inner.txt')), true)
    })
  })
})
