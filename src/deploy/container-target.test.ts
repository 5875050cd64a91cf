import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { stringify } from 'yaml'
import { type RunningServer, startServer } from '../integration/server-process.js'
import { isOnPath, runContainerCommand } from './container/container-cli.js'
import { deployApi } from './fixtures/registry-fixture.js'
import * as grpc from '@grpc/grpc-js'
import { inferenceServiceDefinition } from '../serving/grpc/grpc-server.js'
import { tempDir, waitFor } from '../testing/fixtures.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const wharfBin = join(root, 'bin/wharf.js')
const run = promisify(execFile)
const hasPodman = isOnPath('podman')
// CI (GitHub Actions, Azure Pipelines and .ci/run set CI) must test the container target: there a
// missing podman is a failure, not a skip. Elsewhere the suite is skipped and says why.
const isCi = !['', '0', 'false'].includes((process.env['CI'] ?? '').toLowerCase())
const skip = hasPodman ? false : isCi ? 'podman is missing (see the failing test above)' : 'podman is not installed (.ci/install-podman.sh installs it)'
if (skip) process.stdout.write(`# skipping the container target tests: ${skip}\n`)

if (isCi) {
  it('finds podman, which CI runs the container target tests with', () => {
    assert.ok(hasPodman, 'podman is not on PATH; .ci/install-podman.sh installs it')
  })
}

const columns = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6']
const scoringBody = JSON.stringify({ dataframe_split: { columns, data: [[0.03, 0.05, 0.06, 0.02, -0.04, -0.03, -0.04, 0.0, 0.02, -0.02]] } })
const score = async (url: string, key?: string) => {
  const headers = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }
  const res = await fetch(`${url}/invocations`, { method: 'POST', headers, body: scoringBody })
  return { status: res.status, body: (await res.json()) as { predictions: number[] }, version: res.headers.get('x-wharf-model-version') }
}

describe('the container target and real wharf serve processes', { skip }, () => {
  const model = `ct-${process.pid}-${Date.now().toString(36)}`
  const imageTag = `localhost/wharf-${model}:v1`
  let dir: string
  let server: RunningServer
  const api = async (method: 'GET' | 'POST', path: string, fields: Record<string, unknown> = {}) => {
    const res = await deployApi(server.url, method, path, fields)
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`)
    return res.body
  }
  const endpoint = async (environment: string) => (await api('GET', 'list', { environment })).endpoints.find((e: any) => e.model_name === model)
  const keyOf = async (environment: string) => (await api('GET', 'keys', { environment, model_name: model })).primary_key as string

  before(async () => {
    dir = await tempDir('container')
    await writeFile(
      join(dir, 'wharf.yaml'),
      stringify({
        environments: {
          staging: { target: 'local' },
          qa: { target: 'container', grpc: true },
          production: { target: 'kubernetes', namespace: 'ml', replicas: 2 },
        },
      }),
    )
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
      WHARF_DEPLOY_DIR: join(dir, 'deployments'),
    })
    await run(
      process.execPath,
      [wharfBin, 'train', '--data', join(root, 'data/diabetes.csv'), '--target', 'progression', '--model', 'ridge', '--register', model],
      {
        env: { ...process.env, WHARF_TRACKING_URI: server.url },
      },
    )
  })

  after(async () => {
    for (const environment of ['staging', 'qa']) await deployApi(server.url, 'POST', 'undeploy', { model_name: model, environment }).catch(() => {})
    await server.stop()
    await runContainerCommand('podman', ['rmi', '-f', imageTag]).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })

  it('deploys a registered model to the local target with the real wharf serve and answers predictions', async () => {
    await api('POST', 'deploy', { model_name: model, version: '1', environment: 'staging' })
    const answer = await score((await endpoint('staging')).url, await keyOf('staging'))
    assert.equal(answer.status, 200)
    assert.equal(answer.version, '1')
    assert.equal(answer.body.predictions.length, 1)
  })

  it('deploys to the container target: builds the image, publishes the port on 127.0.0.1, answers the same predictions', async () => {
    await api('POST', 'deploy', { model_name: model, version: '1', environment: 'qa' })
    const qa = await endpoint('qa')
    assert.equal(qa.health, 'ready')
    const [local, container] = await Promise.all([score((await endpoint('staging')).url, await keyOf('staging')), score(qa.url, await keyOf('qa'))])
    assert.equal(container.status, 200)
    assert.equal((await score(qa.url)).status, 401, 'the container endpoint takes no request without its key')
    assert.equal((await score(qa.url, await keyOf('staging'))).status, 401, "another endpoint's key is no key here")
    assert.deepEqual(container.body, local.body)
    const inspect = JSON.parse(await runContainerCommand('podman', ['image', 'inspect', imageTag]))[0]
    assert.equal(inspect.Config.User, '10001:10001')
    assert.equal(inspect.Config.Labels['io.wharf.model.name'], model)
    assert.equal(inspect.Config.Labels['io.wharf.model.version'], '1')
    assert.match(inspect.Config.Labels['io.wharf.model.run-id'], /^[0-9a-f]{32}$/)
    assert.ok(inspect.Healthcheck?.Test?.length > 0, 'the image has a HEALTHCHECK')
    const ports = await runContainerCommand('podman', ['port', qa.instances[0].container_name])
    assert.match(ports, /^8080\/tcp -> 127\.0\.0\.1:\d+/m)
    assert.match(ports, /^8081\/tcp -> 127\.0\.0\.1:\d+/m, 'the gRPC port (grpc: true) is published on loopback too')
  })

  it('answers KServe V2 gRPC through the container endpoint (grpc: true), the prediction HTTP gives', async () => {
    const qa = await endpoint('qa')
    assert.match(qa.grpc_url, /^127\.0\.0\.1:\d+$/)
    const Client = grpc.makeGenericClientConstructor(inferenceServiceDefinition(), 'GRPCInferenceService')
    const client = new Client(qa.grpc_url, grpc.credentials.createInsecure())
    try {
      const metadata = new grpc.Metadata()
      metadata.set('authorization', `Bearer ${await keyOf('qa')}`)
      const row = (JSON.parse(scoringBody) as { dataframe_split: { data: number[][] } }).dataframe_split.data[0]!
      const request = { modelName: model, inputs: [{ name: 'x', datatype: 'FP64', shape: [1, 10], contents: { fp64Contents: row } }] }
      const answer = await new Promise<Record<string, any>>((resolve, reject) =>
        (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: (e: Error | null, v: Record<string, any>) => void) => void>)['ModelInfer']!(
          request,
          metadata,
          (err, value) => (err ? reject(err) : resolve(value)),
        ),
      )
      const predictions = Array.from(new Float64Array(new Uint8Array(answer['rawOutputContents'][0] as Buffer).buffer))
      assert.deepEqual(predictions, (await score(qa.url, await keyOf('qa'))).body.predictions)
    } finally {
      client.close()
    }
  })

  it('brings a killed container back, healthy', async () => {
    const qa = await endpoint('qa')
    const key = await keyOf('qa')
    await runContainerCommand('podman', ['kill', qa.instances[0].container_name])
    await waitFor(
      'the container back and healthy',
      async () => {
        const e = await endpoint('qa')
        return e.instances[0].restarts >= 1 && e.instances[0].health === 'ready' && (await score(e.url, key)).status === 200
      },
      60_000,
    )
  })

  it('takes a regenerated key in the running container, without a restart', async () => {
    const qa = await endpoint('qa')
    const before = await keyOf('qa')
    const after = (await api('POST', 'keys/regenerate', { environment: 'qa', model_name: model, key: 'primary' })).primary_key as string
    assert.notEqual(after, before)
    await waitFor(
      'the container to read the new keys',
      async () => (await score(qa.url, after)).status === 200 && (await score(qa.url, before)).status === 401,
      30_000,
    )
    assert.equal((await endpoint('qa')).instances[0].restarts, qa.instances[0].restarts, 'no restart')
  })

  it('prints the Kubernetes manifests of a deploy with --dry-run instead of applying them', async () => {
    const { stdout } = await run(process.execPath, [wharfBin, 'deploy', model, '--version', '1', '--env', 'production', '--dry-run'], {
      env: { ...process.env, WHARF_TRACKING_URI: server.url },
    })
    const kinds = [...stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1])
    assert.deepEqual(kinds, ['Secret', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Service', 'Deployment', 'Service', 'Deployment'], stdout)
    assert.doesNotMatch(stdout, /dockerconfigjson/, 'no registry login in a dry run')
    assert.match(stdout, /namespace: ml/)
    assert.equal((await api('GET', 'history', { model_name: model, environment: 'production' })).changes.length, 0)
  })
})
