import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { dataDir } from '../serving/test-fixtures.js'
import { resolveModel } from '../serving/model-source.js'
import { Predictor } from '../serving/predictor.js'
import { skipWithout, testAzurite, testS3 } from '../testing/object-stores.js'
import { testPostgres } from '../testing/postgres.js'
import { runTrain } from '../train/index.js'
import { type RunningServer, startServer } from './server-process.js'

interface Backend {
  readonly name: string
  /** Server arguments and environment, or undefined when the service is not available here. */
  setup(dir: string): Promise<{ args: string[]; env: NodeJS.ProcessEnv } | undefined>
}

const s3 = await testS3()
const azurite = await testAzurite()
const postgres = await testPostgres()

const backends: Backend[] = [
  {
    name: 'S3 (versitygw) with SQLite',
    async setup(dir) {
      if (!s3) return undefined
      const bucket = await s3.newBucket()
      return { args: ['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', `s3://${bucket}/mlartifacts`], env: s3.env }
    },
  },
  {
    // The reference architecture: PostgreSQL metadata, Azure Blob artifacts.
    name: 'Azure Blob (Azurite) with PostgreSQL',
    async setup() {
      if (!azurite || !postgres) return undefined
      const container = await azurite.newContainer()
      return {
        args: [
          '--backend-store-uri',
          await postgres.newDatabase(),
          '--artifacts-destination',
          `wasbs://${container}@devstoreaccount1.blob.core.windows.net/mlartifacts`,
        ],
        env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
      }
    },
  },
]

for (const backend of backends) {
  const probeDir = await mkdtemp(join(tmpdir(), 'wharf-objects-'))
  const setup = await backend.setup(probeDir)
  if (!setup) {
    skipWithout(backend.name, `artifact proxy on ${backend.name}`)
    await rm(probeDir, { recursive: true, force: true })
    continue
  }
  describe(`artifact proxy and model download on ${backend.name}`, () => {
    let server: RunningServer
    before(async () => {
      server = await startServer(setup.args, setup.env)
    })
    after(async () => {
      await server?.stop()
      await rm(probeDir, { recursive: true, force: true })
    })

    const artifacts = (path: string) => `${server.url}/api/2.0/mlflow-artifacts/artifacts${path}`

    it('uploads, lists, downloads and deletes through the proxy, the bytes unchanged', async () => {
      const body = randomBytes(3 * 1024 * 1024 + 7)
      assert.equal((await fetch(artifacts('/1/r/artifacts/data/blob.bin'), { method: 'PUT', body })).status, 200)
      assert.equal((await fetch(artifacts('/1/r/artifacts/MLmodel'), { method: 'PUT', body: 'flavors: {}\n' })).status, 200)
      const listed = (await (await fetch(artifacts('?path=1/r/artifacts'))).json()) as { files: { path: string; is_dir: boolean }[] }
      assert.deepEqual(
        listed.files.map((f) => [f.path, f.is_dir]),
        [
          ['MLmodel', false],
          ['data', true],
        ],
      )
      const got = await fetch(artifacts('/1/r/artifacts/data/blob.bin'))
      assert.equal(got.status, 200)
      const back = Buffer.from(await got.arrayBuffer())
      assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(body).digest('hex'))
      assert.equal((await fetch(artifacts('/1/r/artifacts/missing.bin'))).status, 404)
      assert.equal((await fetch(artifacts('/1/r/artifacts/data'), { method: 'DELETE' })).status, 200)
      assert.equal((await fetch(artifacts('/1/r/artifacts/data/blob.bin'))).status, 404)
    })

    it('refuses a path that leaves the artifact root', async () => {
      const res = await fetch(artifacts('/..%2F..%2Fescape.txt'), { method: 'PUT', body: 'x' })
      assert.equal(res.status, 400)
    })

    it('trains and registers a model whose files live in the object store, and resolves it as wharf serve does', async () => {
      const out = join(probeDir, 'trained')
      await runTrain({
        data: join(dataDir, 'diabetes.csv'),
        target: 'progression',
        model: 'elasticnet',
        param: ['alpha=0.1'],
        output: out,
        register: 'diabetes',
        trackingUri: server.url,
        log: () => {},
      })
      const resolved = await resolveModel('models:/diabetes/1', { trackingUri: server.url, token: undefined, cacheDir: join(probeDir, 'cache') })
      assert.equal(resolved.version, '1')
      assert.equal(await readFile(join(resolved.dir, 'wharf_model.json'), 'utf8'), await readFile(join(out, 'wharf_model.json'), 'utf8'))
      const predictor = await Predictor.load(resolved.dir)
      assert.equal(predictor.backend, 'native')
    })
  })
}
