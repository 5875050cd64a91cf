import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { type RunningServer, startServer } from '../integration/server-process.js'
import { Predictor } from '../serving/predictor.js'
import { inferenceServiceDefinition } from '../serving/grpc/grpc-server.js'
import { dataDir, diabetesRows } from '../serving/test-fixtures.js'
import { isAlive, tempDir } from '../testing/fixtures.js'
import { runTrain } from '../train/index.js'
import { deployApi } from './fixtures/registry-fixture.js'

type Plain = Record<string, any>
const Client = grpc.makeGenericClientConstructor(inferenceServiceDefinition(), 'GRPCInferenceService')

function call(client: grpc.Client, rpc: string, request: Plain, metadata = new grpc.Metadata()): Promise<Plain> {
  return new Promise((resolve, reject) => {
    ;(client as unknown as Record<string, (r: Plain, m: grpc.Metadata, cb: (err: grpc.ServiceError | null, v: Plain) => void) => void>)[rpc]!(
      request,
      metadata,
      (err, value) => (err ? reject(err) : resolve(value)),
    )
  })
}

/** The FP64 predictions of a ModelInfer answer (raw output contents). */
const predictionsOf = (answer: Plain) => Array.from(new Float64Array(new Uint8Array(answer['rawOutputContents'][0] as Buffer).buffer))

describe('deployments expose KServe V2 over gRPC (real wharf serve, local target)', () => {
  let dir: string
  let server: RunningServer
  let client: grpc.Client
  let key: string
  const expected = new Map<string, number[]>()
  const rows = diabetesRows(4)
  const pids = new Set<number>()
  /** Holds the port the `busy` environment asks for, so its gRPC port cannot open. */
  let squatter: Server

  const api = async (method: 'GET' | 'POST', path: string, fields: Record<string, unknown> = {}) => {
    const res = await deployApi(server.url, method, path, fields)
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`)
    return res.body
  }
  const endpoint = async () => {
    const { endpoints } = await api('GET', 'list', { environment: 'production' })
    const e = endpoints.find((x: Plain) => x.model_name === 'diabetes')
    for (const i of e?.instances ?? []) if (i.pid) pids.add(i.pid)
    return e
  }
  const withKey = (k = key) => {
    const m = new grpc.Metadata()
    m.set('authorization', `Bearer ${k}`)
    return m
  }
  const infer = (metadata = withKey()) =>
    call(
      client,
      'ModelInfer',
      { modelName: 'diabetes', inputs: [{ name: 'x', datatype: 'FP64', shape: [4, 10], contents: { fp64Contents: rows.flat() } }] },
      metadata,
    )

  const start = () =>
    startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
      WHARF_DEPLOY_DIR: join(dir, 'deployments'),
    })

  before(async () => {
    dir = await tempDir('grpc-deploy')
    squatter = createServer()
    const busyPort = await new Promise<number>((resolve) => squatter.listen(0, '127.0.0.1', () => resolve((squatter.address() as { port: number }).port)))
    await writeFile(join(dir, 'wharf.yaml'), `environments:\n  production: { target: local, grpc: true }\n  busy: { target: local, grpcPort: ${busyPort} }\n`)
    server = await start()
    // Two versions that predict differently, so an answer tells which one served it.
    for (const [version, alpha] of [
      ['1', '0.5'],
      ['2', '0.01'],
    ] as const) {
      const out = join(dir, `trained-v${version}`)
      await runTrain({
        data: join(dataDir, 'diabetes.csv'),
        target: 'progression',
        model: 'elasticnet',
        param: [`alpha=${alpha}`],
        output: out,
        register: 'diabetes',
        trackingUri: server.url,
        log: () => {},
      })
      const p = await Predictor.load(out)
      expected.set(version, Array.from((p.predict(p.schema!.fromRows(rows)) as { values: Float64Array }).values))
    }
    assert.notDeepEqual(expected.get('1'), expected.get('2'))
  })

  after(async () => {
    client?.close()
    await deployApi(server.url, 'POST', 'undeploy', { model_name: 'diabetes', environment: 'production' }).catch(() => {})
    await server.stop()
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
    await new Promise((resolve) => squatter.close(resolve))
  })

  it('deploys v1 and answers ModelInfer on the endpoint gRPC port with the endpoint key', async () => {
    await api('POST', 'deploy', { model_name: 'diabetes', version: '1', environment: 'production' })
    const e = await endpoint()
    assert.equal(e.live_version, '1')
    assert.match(e.grpc_url, /^127\.0\.0\.1:\d+$/)
    assert.notEqual(e.grpc_url, e.url.replace('http://', ''))
    key = (await api('GET', 'keys', { environment: 'production', model_name: 'diabetes' })).primary_key
    client = new Client(e.grpc_url, grpc.credentials.createInsecure())
    assert.deepEqual(await call(client, 'ServerReady', {}), { ready: true })
    const answer = await infer()
    assert.equal(answer['modelVersion'], '1')
    assert.deepEqual(predictionsOf(answer), expected.get('1'))
  })

  it('refuses ModelInfer without the key or with a wrong one: UNAUTHENTICATED', async () => {
    for (const metadata of [new grpc.Metadata(), withKey('not-the-endpoint-key-0000')]) {
      await assert.rejects(infer(metadata), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.UNAUTHENTICATED, err.details)
        return true
      })
    }
  })

  it('answers with v2 on the same port after v2 is deployed, and with v1 again after a rollback', async () => {
    const grpcUrl = (await endpoint()).grpc_url
    await api('POST', 'deploy', { model_name: 'diabetes', version: '2', environment: 'production' })
    const e = await endpoint()
    assert.equal(e.live_version, '2')
    assert.equal(e.grpc_url, grpcUrl)
    // The same client (its connection to v1 was closed by the switch) reconnects to v2.
    const answer = await infer()
    assert.equal(answer['modelVersion'], '2')
    assert.deepEqual(predictionsOf(answer), expected.get('2'))

    await api('POST', 'rollback', { model_name: 'diabetes', environment: 'production' })
    const back = await infer()
    assert.equal(back['modelVersion'], '1')
    assert.deepEqual(predictionsOf(back), expected.get('1'))
  })

  it("keeps the gRPC port and the adopted instances' gRPC services across a restart of wharf server", async () => {
    const before = await endpoint()
    await server.stop()
    server = await start()
    const e = await endpoint()
    assert.equal(e.grpc_url, before.grpc_url)
    assert.deepEqual(
      e.instances.map((i: Plain) => i.pid),
      before.instances.map((i: Plain) => i.pid),
      'the instances were adopted, not restarted',
    )
    const answer = await infer()
    assert.equal(answer['modelVersion'], '1')
    assert.deepEqual(predictionsOf(answer), expected.get('1'))
  })

  it('refuses a deploy whose fixed gRPC port is taken, and leaves no endpoint behind', async () => {
    const res = await deployApi(server.url, 'POST', 'deploy', { model_name: 'diabetes', version: '1', environment: 'busy' })
    assert.equal(res.status, 400, JSON.stringify(res.body))
    assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE')
    assert.match(res.body.message, /environment 'busy': could not open the gRPC port of model 'diabetes'/)
    assert.deepEqual((await api('GET', 'list', { environment: 'busy' })).endpoints, [])
  })
})
