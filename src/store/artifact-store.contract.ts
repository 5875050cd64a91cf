import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import type { ArtifactStore } from './artifact-store.js'

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof MlflowError && err.code === code)
}

const text = (s: string) => Readable.from([Buffer.from(s)])

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

/** `total` bytes of a deterministic pattern, produced 1 MiB at a time (never held whole). */
function pattern(total: number, failAfter?: number): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter) return this.destroy(new Error('client went away'))
      if (sent >= total) return this.push(null)
      const n = Math.min(1 << 20, total - sent)
      const chunk = Buffer.alloc(n)
      for (let i = 0; i < n; i++) chunk[i] = (sent + i) % 251
      sent += n
      this.push(chunk)
    },
  })
}

const sha256 = async (stream: Readable) => {
  const hash = createHash('sha256')
  for await (const chunk of stream) hash.update(chunk as Uint8Array)
  return hash.digest('hex')
}

/**
 * The behaviour every ArtifactStore must show (local folder, S3, Azure Blob), on an empty store.
 * Each test works under a folder of its own.
 */
export function describeArtifactStore(name: string, makeStore: () => Promise<ArtifactStore>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    const open = makeStore

    it('stores a file and gives back the same bytes and size', async () => {
      const store = await open()
      await store.put('a/model/MLmodel', text('flavors: {}\n'))
      const got = await store.get('a/model/MLmodel')
      assert.equal(got.size, 12)
      assert.equal((await readAll(got.stream)).toString(), 'flavors: {}\n')
    })

    it('lists one level, sorted, folders as folders, files with their sizes', async () => {
      const store = await open()
      await store.put('b/z.txt', text('zz'))
      await store.put('b/a/one.txt', text('1'))
      await store.put('b/a/deep/two.txt', text('22'))
      await store.put('b/m.bin', text('mmm'))
      assert.deepEqual(await store.list('b'), [
        { path: 'a', isDir: true },
        { path: 'm.bin', isDir: false, fileSize: 3 },
        { path: 'z.txt', isDir: false, fileSize: 2 },
      ])
      assert.deepEqual(await store.list('b/a'), [
        { path: 'deep', isDir: true },
        { path: 'one.txt', isDir: false, fileSize: 1 },
      ])
      // A file, or nothing at all, lists nothing (the MLflow 2 client reads entries as "a folder").
      assert.deepEqual(await store.list('b/z.txt'), [])
      assert.deepEqual(await store.list('b/none'), [])
    })

    it('answers RESOURCE_DOES_NOT_EXIST for a missing file and for a folder', async () => {
      const store = await open()
      await store.put('c/f/x.txt', text('x'))
      await rejectsWith(store.get('c/missing.txt'), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.get('c/f'), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('replaces a file written again', async () => {
      const store = await open()
      await store.put('d/x.txt', text('first version'))
      await store.put('d/x.txt', text('second'))
      assert.equal((await readAll((await store.get('d/x.txt')).stream)).toString(), 'second')
    })

    it('refuses a file where a folder is, and keeps the folder', async () => {
      const store = await open()
      await store.put('e/dir/inner.txt', text('inner'))
      await rejectsWith(store.put('e/dir', text('x')), 'INVALID_PARAMETER_VALUE')
      assert.deepEqual(await store.list('e/dir'), [{ path: 'inner.txt', isDir: false, fileSize: 5 }])
    })

    it('streams a file of several upload parts through unchanged', async () => {
      const store = await open()
      const size = 20 * 1024 * 1024 + 12345
      await store.put('f/big.bin', pattern(size))
      const got = await store.get('f/big.bin')
      assert.equal(got.size, size)
      assert.equal(await sha256(got.stream), await sha256(pattern(size)))
    })

    it('writes nothing when the upload stream fails midway', async () => {
      const store = await open()
      await assert.rejects(store.put('g/broken.bin', pattern(20 * 1024 * 1024, 9 * 1024 * 1024)))
      await rejectsWith(store.get('g/broken.bin'), 'RESOURCE_DOES_NOT_EXIST')
      assert.deepEqual(await store.list('g'), [])
    })

    it('deletes a file, a whole folder, and nothing for a missing path; never the root', async () => {
      const store = await open()
      await store.put('h/keep.txt', text('k'))
      await store.put('h/gone.txt', text('g'))
      await store.put('h/tree/a.txt', text('a'))
      await store.put('h/tree/sub/b.txt', text('b'))
      await store.delete('h/gone.txt')
      await store.delete('h/tree')
      await store.delete('h/never-was')
      assert.deepEqual(await store.list('h'), [{ path: 'keep.txt', isDir: false, fileSize: 1 }])
      await rejectsWith(store.delete(''), 'INVALID_PARAMETER_VALUE')
    })

    it('keeps every path under its root', async () => {
      const store = await open()
      for (const bad of ['../escape.txt', 'i/../../escape.txt', '/etc/passwd']) {
        await rejectsWith(store.put(bad, text('x')), 'INVALID_PARAMETER_VALUE')
        await rejectsWith(store.get(bad), 'INVALID_PARAMETER_VALUE')
      }
    })
  })
}
