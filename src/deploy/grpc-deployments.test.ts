import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { type RunningServer, startServer } from '../integration/server-process.js'
import { Predictor } from '../serving/predictor.js'
import { inferenceServiceDefinition } from '../serving/grpc/grpc-server.js'
import { gunzipSync } from 'node:zlib'
import { dataDir, diabetesColumns, diabetesRows } from '../serving/test-fixtures.js'
import { isAlive, tempDir, waitFor } from '../testing/fixtures.js'
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
    await writeFile(
      join(dir, 'wharf.yaml'),
      [
        'environments:',
        '  production: { target: local, grpc: true }',
        `  busy: { target: local, grpcPort: ${busyPort} }`,
        '  watched:',
        '    target: local',
        '    grpc: true',
        '    monitoring: { logPredictions: { sampleRate: 1 }, drift: { windowRows: 20, minRows: 4 } }',
        '',
      ].join('\n'),
    )
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
    for (const environment of ['production', 'watched'])
      await deployApi(server.url, 'POST', 'undeploy', { model_name: 'diabetes', environment }).catch(() => {})
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

  it('samples ModelInfer calls into the prediction log and drift, and counts them in the endpoint metrics, as REST requests', async () => {
    const { endpoint: e } = await api('POST', 'deploy', { model_name: 'diabetes', version: '1', environment: 'watched' })
    for (const i of e.instances) if (i.pid) pids.add(i.pid)
    const watchedKey = (await api('GET', 'keys', { environment: 'watched', model_name: 'diabetes' })).primary_key
    const watched = new Client(e.grpc_url, grpc.credentials.createInsecure())
    const series = 'model="diabetes",environment="watched",version="1"'
    const requestsCounted = async () => {
      const page = await (await fetch(`${server.url}/metrics`)).text()
      return Number(new RegExp(`^wharf_endpoint_requests_total\\{${series}\\} (\\d+)$`, 'm').exec(page)?.[1] ?? 0)
    }
    try {
      // One named input per column (as KServe V2 clients send tables), and a bare tensor.
      const columns = diabetesColumns.map((name, c) => ({ name, datatype: 'FP64', shape: [4], contents: { fp64Contents: rows.map((r) => r[c]) } }))
      const byColumn = await call(watched, 'ModelInfer', { modelName: 'diabetes', id: 'by-column', inputs: columns }, withKey(watchedKey))
      assert.deepEqual(predictionsOf(byColumn), expected.get('1'))
      const tensor = await call(
        watched,
        'ModelInfer',
        { modelName: 'diabetes', inputs: [{ name: 'x', datatype: 'FP64', shape: [4, 10], contents: { fp64Contents: rows.flat() } }] },
        withKey(watchedKey),
      )
      assert.deepEqual(predictionsOf(tensor), expected.get('1'))
      // And one REST request, for the same counters and log.
      const rest = await fetch(`${e.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${watchedKey}` },
        body: JSON.stringify({ dataframe_split: { columns: diabetesColumns, data: rows } }),
      })
      assert.equal(rest.status, 200, await rest.text())
    } finally {
      watched.close()
    }
    // Every call counted by the serving process, summed on the control plane's /metrics.
    assert.equal(await waitFor('3 requests on /metrics', async () => (await requestsCounted()) === 3 && 3), 3)
    // The prediction log: both ModelInfer calls, with their inputs as rows (named columns) or as sent, and the predictions.
    const folder = join(dir, 'artifacts/monitoring/predictions/watched/diabetes')
    const records = await waitFor(
      'three records in the prediction log',
      async () => {
        const found: Plain[] = []
        for (const partition of await readdir(folder).catch(() => []))
          for (const file of await readdir(join(folder, partition)))
            for (const line of gunzipSync(await readFile(join(folder, partition, file)))
              .toString('utf8')
              .trim()
              .split('\n'))
              found.push(JSON.parse(line))
        return found.length >= 3 && found
      },
      30_000,
      200,
    )
    assert.equal(records.length, 3)
    const grpcRecords = records.filter((r) => r.path === '/inference.GRPCInferenceService/ModelInfer')
    assert.equal(grpcRecords.length, 2, JSON.stringify(records))
    const named = grpcRecords.find((r) => r.request_id === 'by-column')
    assert.ok(named, JSON.stringify(grpcRecords))
    assert.equal(named.version, '1')
    assert.equal(named.status, 200)
    assert.deepEqual(
      named.inputs,
      rows.map((r) => Object.fromEntries(diabetesColumns.map((c, i) => [c, r[i]]))),
    )
    assert.deepEqual(named.outputs, expected.get('1'))
    const bare = grpcRecords.find((r) => r.request_id !== 'by-column')
    assert.ok(bare, JSON.stringify(grpcRecords))
    assert.deepEqual(bare.outputs, expected.get('1'))
    // Drift takes the named columns' rows (4 from gRPC, 4 from REST); the bare tensor has no column names.
    const drift = await waitFor('8 rows in the drift window', async () => {
      const res = await fetch(`${server.url}/api/2.0/wharf/monitoring/drift?environment=watched&model_name=diabetes`)
      const body = (await res.json()) as Plain
      return res.status === 200 && body.window.rows_seen === 8 && body
    })
    assert.equal(drift.version, '1')
  })
})
