import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import * as grpc from '@grpc/grpc-js'
import { stringify } from 'yaml'
import { inferenceServiceDefinition } from '../../serving/grpc/grpc-server.js'
import { isAlive, servingPids, waitFor as waitForValue } from '../../testing/fixtures.js'
import { runPipelineProcess } from '../../pipeline/fixtures/pipeline-process.js'
import { postJson, type RunningServer, startServer } from '../../integration/server-process.js'
import { runContainerCommand } from '../container/container-cli.js'
import { defaultBaseTag } from '../container/base-image.js'
import { pushImage } from '../container/push-image.js'
import { clusterSkipReason, clusterTraces, downCluster, type LocalCluster, machineState, upCluster } from '../fixtures/local-cluster.js'
import { deployApi } from '../fixtures/registry-fixture.js'
import { connectKubernetes } from './client-node-api.js'
import type { KubernetesApi, LiveObject } from './kube-api.js'
import { buildVersionDeployment } from './manifests.js'
import { EndpointNames } from './names.js'
import type { KubernetesEnvironment } from '../environments.js'

/**
 * The kubernetes target against a real cluster (scripts/kube-up.sh: API server, scheduler,
 * controllers, a kubelet whose pods really run under containerd, kube-proxy, a registry): deploy,
 * predictions through the endpoint's Service with keys, promote under load with the autoscaler's
 * replica count kept, automatic rollback of a broken image, traffic split and shadow, Pod Security
 * "restricted", and kube-down leaving nothing behind.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url))
const wharfBin = join(root, 'bin/wharf.js')
const run = promisify(execFile)
const skip = clusterSkipReason()
if (skip) process.stdout.write(`# SKIPPING the Kubernetes cluster tests: ${skip}\n`)

const columns = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6']
const rows = [
  [0.0381, 0.0507, 0.0617, 0.0219, -0.0442, -0.0348, -0.0434, -0.0026, 0.0199, -0.0176],
  [-0.0019, -0.0446, -0.0515, -0.0263, -0.0084, -0.0192, 0.0744, -0.0395, -0.0683, -0.0922],
]
const body = JSON.stringify({ dataframe_split: { columns, data: rows } })

type Plain = Record<string, any>
const GrpcClient = grpc.makeGenericClientConstructor(inferenceServiceDefinition(), 'GRPCInferenceService')
function grpcCall(client: grpc.Client, rpc: string, request: Plain, metadata = new grpc.Metadata()): Promise<Plain> {
  return new Promise((resolve, reject) => {
    ;(client as unknown as Record<string, (r: Plain, m: grpc.Metadata, cb: (err: grpc.ServiceError | null, v: Plain) => void) => void>)[rpc]!(
      request,
      metadata,
      (err, value) => (err ? reject(err) : resolve(value)),
    )
  })
}

/** The diabetes features and their rows, as the model was trained on them. */
async function diabetesData(file: string): Promise<number[][]> {
  const [header, ...lines] = (await readFile(file, 'utf8')).trim().split('\n')
  const all = header!.split(',')
  return lines.map((l) => l.split(',').map(Number)).map((r) => columns.map((c) => r[all.indexOf(c)]!))
}

describe('the kubernetes target on a real cluster', { skip, concurrency: false }, () => {
  const tag = `${process.pid}${Date.now().toString(36)}`
  const model = `it-${tag}`
  const namespace = `wharf-it-${tag}`
  let dir: string
  let cluster: LocalCluster
  let kube: KubernetesApi
  let server: RunningServer
  let image: (version: string) => string
  let machineBefore: Record<string, string[]>
  const names = new EndpointNames('production', model)

  const api = async (method: 'GET' | 'POST', path: string, fields: Record<string, unknown> = {}) => {
    const res = await deployApi(server.url, method, path, fields)
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`)
    return res.body
  }
  const endpoint = async (environment = 'production') => (await api('GET', 'list', { environment })).endpoints.find((e: any) => e.model_name === model)
  const keys = async (environment = 'production') => api('GET', 'keys', { environment, model_name: model })
  const wharf = (args: string[]) =>
    run(process.execPath, [wharfBin, ...args], { env: { ...process.env, WHARF_TRACKING_URI: server.url }, maxBuffer: 16 * 1024 * 1024 })
  const predict = async (url: string, key?: string) => {
    const res = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body,
    })
    const text = await res.text()
    return { status: res.status, version: res.headers.get('x-wharf-routed-version'), body: text }
  }
  const deployment = (version: string) => kube.read({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: names.version(version) })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-kube-'))
    machineBefore = machineState()
    cluster = await upCluster()
    kube = await connectKubernetes(cluster.kubeconfig)
    image = (version: string) => `${cluster.registry}/wharf/${model}:v${version}`
    // Every pod of the test runs where Pod Security "restricted" is enforced.
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } },
    })
    const auth = Buffer.from(`${cluster.username}:${cluster.password}`).toString('base64')
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'it-pull', namespace },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [cluster.registry]: { username: cluster.username, password: cluster.password, auth } } }) },
    })
    const unreachable = (await readFile(cluster.kubeconfig, 'utf8')).replace(/server: "https:\/\/127\.0\.0\.1:\d+"/, 'server: "https://127.0.0.1:1"')
    await writeFile(join(dir, 'unreachable.kubeconfig'), unreachable)
    const production = {
      target: 'kubernetes',
      namespace,
      image: `${cluster.registry}/wharf/${model}:v{version}`,
      imagePullSecret: 'it-pull',
      autoscaling: { minReplicas: 2, maxReplicas: 4 },
      resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      rolloutTimeoutSeconds: 120,
    }
    await writeFile(
      join(dir, 'wharf.yaml'),
      stringify({
        environments: {
          staging: { target: 'local' },
          production,
          nocluster: { ...production, kubeconfig: join(dir, 'missing.kubeconfig') },
          unreachable: { ...production, kubeconfig: join(dir, 'unreachable.kubeconfig') },
          edge: {
            ...production,
            autoscaling: undefined,
            replicas: 1,
            routerReplicas: 1,
            service: { type: 'LoadBalancer' },
            ingress: { host: 'fraud.example.test', tlsSecret: 'fraud-tls' },
          },
          impatient: { ...production, autoscaling: undefined, replicas: 1, routerReplicas: 1, rolloutTimeoutSeconds: 20 },
          watched: {
            ...production,
            autoscaling: undefined,
            replicas: 1,
            routerReplicas: 1,
            grpc: true,
            monitoring: { logPredictions: { sampleRate: 1, retentionDays: 7 }, drift: { windowRows: 300, minRows: 100 } },
          },
        },
      }),
    )
    // The monitor gate on the kubernetes endpoint's error rate (requests refused with 400 count with count_4xx).
    await writeFile(
      join(dir, 'watch-errors.yaml'),
      stringify({
        pipeline: 'watch-errors',
        stages: [
          {
            name: 'watch',
            steps: [
              {
                name: 'watch',
                monitor: {
                  model,
                  environment: 'watched',
                  duration: '3m',
                  interval: '1s',
                  max_error_rate: 0.2,
                  count_4xx: true,
                  min_requests: 10,
                  on_breach: 'fail',
                },
              },
            ],
          },
        ],
      }),
    )
    server = await startServer(
      [
        '--backend-store-uri',
        `sqlite:///${join(dir, 'wharf.db')}`,
        '--artifacts-destination',
        join(dir, 'artifacts'),
        '--pipelines',
        join(dir, 'watch-errors.yaml'),
      ],
      {
        WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
        WHARF_DEPLOY_DIR: join(dir, 'deployments'),
        KUBECONFIG: cluster.kubeconfig,
      },
    )
    // v1 and v2: two real models (different regularisation); v3 and v4: v1's model again, for broken images.
    for (const alpha of ['1', '0.01'])
      await wharf([
        'train',
        '--data',
        join(root, 'data/diabetes.csv'),
        '--target',
        'progression',
        '--model',
        'ridge',
        '--param',
        `alpha=${alpha}`,
        '--register',
        model,
      ])
    const source = ((await (await fetch(`${server.url}/api/2.0/mlflow/model-versions/get?name=${model}&version=1`)).json()) as any).model_version
    for (let i = 0; i < 3; i++) await postJson(server.url, 'model-versions/create', { name: model, source: source.source, run_id: source.run_id })
    // The images CI would push: `wharf build-image --push` with the registry login from the environment.
    const env = { ...process.env, WHARF_TRACKING_URI: server.url, WHARF_REGISTRY_USERNAME: cluster.username, WHARF_REGISTRY_PASSWORD: cluster.password }
    for (const v of ['1', '2']) {
      await run(
        process.execPath,
        [
          wharfBin,
          'build-image',
          '--model-uri',
          `models:/${model}/${v}`,
          '--tag',
          `localhost/${model}:v${v}`,
          '--output',
          join(dir, `image-${v}`),
          '--push',
          image(v),
        ],
        { env, maxBuffer: 16 * 1024 * 1024 },
      )
    }
    // v5's image starts but never becomes ready (its readiness route answers 503).
    await writeFile(
      join(dir, 'Containerfile.unready'),
      `FROM ${defaultBaseTag()}\nENTRYPOINT ["/usr/bin/node", "-e", "require('http').createServer((q, s) => { s.statusCode = q.url === '/v2/health/live' ? 200 : 503; s.end() }).listen(8080)"]\n`,
    )
    await runContainerCommand('podman', ['build', '-f', join(dir, 'Containerfile.unready'), '-t', `localhost/${model}:unready`, dir])
    await pushImage('podman', `localhost/${model}:unready`, image('5'), { username: cluster.username, password: cluster.password })
    // v3's image is broken: it exits at once, as an image missing its model would.
    await writeFile(
      join(dir, 'Containerfile.broken'),
      `FROM ${defaultBaseTag()}\nENTRYPOINT ["/usr/bin/node", "-e", "console.error('broken image: no model inside'); process.exit(3)"]\n`,
    )
    await runContainerCommand('podman', ['build', '-f', join(dir, 'Containerfile.broken'), '-t', `localhost/${model}:broken`, dir])
    await pushImage('podman', `localhost/${model}:broken`, image('3'), { username: cluster.username, password: cluster.password })
  })

  /** Undeploys what the tests may have left, then stops the server (which leaves serving processes running for its next start). */
  const stopServer = async () => {
    if (!server) return
    for (const environment of ['staging', 'production', 'watched'])
      await deployApi(server.url, 'POST', 'undeploy', { model_name: model, environment }).catch(() => {})
    await server.stop()
  }

  after(async () => {
    await stopServer()
    // Whatever a failed test left behind: every serving process started for this suite's deployment folder.
    if (dir) for (const pid of await servingPids(dir)) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: namespace }).catch(() => {})
    for (const t of ['v1', 'v2', 'broken', 'unready']) await runContainerCommand('podman', ['rmi', '-f', `localhost/${model}:${t}`]).catch(() => {})
    if (cluster?.isStartedHere) await downCluster().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })

  it('confirms on the API server that a full replace resets the replicas an autoscaler set, and that an apply without them keeps them', async () => {
    const probe = {
      ...buildVersionDeployment(
        {
          env: { name: 'production', namespace, authMode: 'none' } as KubernetesEnvironment & any,
          names: new EndpointNames('production', 'probe'),
          wharfVersion: '0',
        },
        '1',
        'localhost/wharf-pause:1',
      ),
    }
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: probe.metadata.name }
    const k8s = await import('@kubernetes/client-node')
    const config = new k8s.KubeConfig()
    config.loadFromFile(cluster.kubeconfig)
    const objects = k8s.KubernetesObjectApi.makeApiClient(config)
    await objects.create(probe as never)
    await kube.scale(namespace, ref.name, 3)
    // A replace of the whole object, as the old reconcile sent (retried while controllers update its status).
    for (let attempt = 0; ; attempt++) {
      const live = (await kube.read(ref))!
      try {
        await objects.replace({ ...probe, metadata: { ...probe.metadata, resourceVersion: live.metadata.resourceVersion } } as never)
        break
      } catch (err) {
        if ((err as { code?: number }).code !== 409 || attempt > 10) throw err
      }
    }
    assert.equal(
      ((await kube.read(ref))!.spec as any).replicas,
      1,
      'PUT without replicas: the API server defaults them to 1 (the old reconcile did this on every rollout)',
    )
    await kube.scale(namespace, ref.name, 3)
    await kube.apply({ ...probe, spec: { ...probe.spec, revisionHistoryLimit: 2 } })
    assert.equal(((await kube.read(ref))!.spec as any).replicas, 3, 'server-side apply without replicas leaves the count alone')
    await kube.delete(ref)
  })

  it('renders pods that Pod Security "restricted" admits, and the check refuses a weaker pod', async () => {
    const rendered = buildVersionDeployment(
      {
        env: { name: 'production', namespace, authMode: 'key', rolloutTimeoutSeconds: 60, replicas: 1, service: { type: 'ClusterIP' } } as any,
        names,
        wharfVersion: '0',
      },
      '1',
      image('{version}'),
    )
    const pod = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pss-probe', namespace }, spec })
    const template = (rendered.spec as any).template.spec
    await kube.create(pod(template), { dryRun: true })
    const weaker = structuredClone(template)
    weaker.containers[0].securityContext.allowPrivilegeEscalation = true
    await assert.rejects(kube.create(pod(weaker), { dryRun: true }), /violates PodSecurity "restricted:latest": allowPrivilegeEscalation/)
  })

  it('fails a deploy to an environment without a cluster, or with a cluster it cannot reach, and records nothing', async () => {
    for (const [environment, message] of [
      ['nocluster', /cannot read the kubeconfig/],
      ['unreachable', /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1/],
    ] as const) {
      const res = await deployApi(server.url, 'POST', 'deploy', { model_name: model, version: '1', environment })
      assert.equal(res.status, 500, JSON.stringify(res.body))
      assert.match(res.body.message, message)
      assert.equal(await endpoint(environment), undefined)
    }
  })

  it('deploys v1: its pods become Ready in the restricted namespace and the endpoint answers with a key only', async () => {
    const { endpoint: e } = await api('POST', 'deploy', { model_name: model, version: '1', environment: 'production' })
    assert.equal(e.live_version, '1')
    assert.equal(e.health, 'ready')
    assert.match(e.url, /^http:\/\/10\.96\.\d+\.\d+$/)
    const v1 = e.instances.find((i: any) => i.version === '1')
    assert.deepEqual(v1.replicas, { desired: 2, ready: 2 }, 'the autoscaler minimum')
    const { primary_key: primary, secondary_key: secondary } = await keys()
    const answer = await predict(e.url, primary)
    assert.equal(answer.status, 200, answer.body)
    assert.equal(answer.version, '1')
    assert.equal(JSON.parse(answer.body).predictions.length, 2)
    assert.equal((await predict(e.url, secondary)).status, 200)
    assert.equal((await predict(e.url)).status, 401)
    assert.equal((await predict(e.url, 'not-a-key')).status, 401)
    const hpa = await kube.read({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace, name: names.base })
    assert.equal((hpa!.spec as any).scaleTargetRef.name, names.version('1'))
  })

  it("promotes v2 under continuous load with no failed request, never below the autoscaler's replica count, and moves the alias after", async () => {
    // The autoscaler's decision (it would make it from CPU metrics): three pods.
    await kube.scale(namespace, names.version('1'), 3)
    await waitFor(async () => (await deployment('1'))?.status?.readyReplicas === 3, 'v1 at 3 ready pods')
    await api('POST', 'deploy', { model_name: model, version: '2', environment: 'staging' })
    const { url } = await endpoint()
    const { primary_key: key } = await keys()
    const load = startLoad(url, key)
    const samples = sampleCapacity(kube, namespace, names)
    const { endpoint: e, change } = await api('POST', 'promote', { model_name: model, from_environment: 'staging', to_environment: 'production' })
    await sleep(2000)
    const result = await load.stop()
    const capacity = await samples.stop()
    assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.ok + result.failures.length} requests failed`)
    assert.ok(result.ok > 20, `only ${result.ok} requests`)
    assert.ok(result.versions.has('1') && result.versions.has('2'), `answers from both versions: ${[...result.versions.keys()]}`)
    assert.deepEqual(capacity.violations, [], 'a router sent requests to a version with fewer ready pods than the autoscaler wanted')
    assert.ok(capacity.count > 5, `only ${capacity.count} samples`)
    assert.equal(change.action, 'promote')
    assert.equal(e.live_version, '2')
    assert.equal(((await deployment('2'))!.spec as any).replicas, 3, "the new version runs at the autoscaler's count")
    assert.equal(((await deployment('1'))!.spec as any).replicas, 1, 'the old version stays as a one-pod standby')
    const hpa = await kube.read({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace, name: names.base })
    assert.equal((hpa!.spec as any).scaleTargetRef.name, names.version('2'))
    const alias = (await (await fetch(`${server.url}/api/2.0/mlflow/registered-models/alias?name=${model}&alias=production`)).json()) as any
    assert.equal(alias.model_version.version, '2')
  })

  it("rolls a broken image back by itself, fails the promote with the cluster's reason, and leaves the alias and the endpoint as they were", async () => {
    await api('POST', 'deploy', { model_name: model, version: '3', environment: 'staging' })
    const res = await deployApi(server.url, 'POST', 'promote', { model_name: model, from_environment: 'staging', to_environment: 'production' })
    assert.equal(res.status, 500, JSON.stringify(res.body))
    assert.match(
      res.body.message,
      /rollout of .* version 3 in 'production' failed: pod \S+: CrashLoopBackOff \(exit code 3.*broken image: no model inside.*rolled back: the endpoint serves as before/,
    )
    const e = await endpoint()
    assert.equal(e.live_version, '2')
    assert.equal(await deployment('3'), undefined, 'the broken version is gone')
    const alias = (await (await fetch(`${server.url}/api/2.0/mlflow/registered-models/alias?name=${model}&alias=production`)).json()) as any
    assert.equal(alias.model_version.version, '2', 'the alias did not move')
    assert.equal((await predict(e.url, (await keys()).primary_key)).version, '2')
  })

  it('fails a deploy whose image cannot be pulled with the pull error, and shows recent warnings in wharf deployments', async () => {
    const res = await deployApi(server.url, 'POST', 'deploy', { model_name: model, version: '4', environment: 'production' })
    assert.equal(res.status, 500)
    assert.match(res.body.message, /version 4 .* failed: pod \S+: ImagePullBackOff: Back-off pulling image "[^"]+:v4".*: not found/)
    const { stdout } = await wharf(['deployments', 'production', '--model', model])
    assert.match(stdout, /v2 +live +3\/3 ready/)
    assert.match(stdout, /warning: Failed: Failed to pull image "[^"]+:v4"/)
  })

  it('gives up on a version that never becomes ready at the rollout timeout, with the failing probe as the reason', async () => {
    const res = await deployApi(server.url, 'POST', 'deploy', { model_name: model, version: '5', environment: 'impatient' })
    assert.equal(res.status, 500)
    // Wharf's timeout or the Deployment's progress deadline (the same 20 s), whichever is seen first.
    assert.match(
      res.body.message,
      /version 5 in 'impatient' failed: (not ready within 20 s \(0 of 1 updated replicas available\)|ReplicaSet "\S+" has timed out progressing\.): .*Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503.*rolled back: nothing of the endpoint is left/,
    )
    assert.deepEqual(
      (await kube.list('apps/v1', 'Deployment', namespace, new EndpointNames('impatient', model).selector)).map((d) => d.metadata.name),
      [],
    )
  })

  it('splits traffic 90/10 between two versions and copies requests to a shadow whose answers are compared', async () => {
    await api('POST', 'deploy', { model_name: model, version: '1', environment: 'production', weight: 10 })
    const { url } = await endpoint()
    const { primary_key: key } = await keys()
    const counts = new Map<string, number>()
    for (let i = 0; i < 200; i++) {
      const answer = await predict(url, key)
      assert.equal(answer.status, 200)
      counts.set(answer.version!, (counts.get(answer.version!) ?? 0) + 1)
    }
    // 10 % of 200 is 20; binomial 99.99 % bounds are about 5 and 38.
    assert.ok((counts.get('1') ?? 0) >= 5 && (counts.get('1') ?? 0) <= 40, JSON.stringify([...counts]))
    await wharf(['traffic', model, '--env', 'production', '--weights', '2=100'])
    await api('POST', 'deploy', { model_name: model, version: '1', environment: 'production', shadow_percent: 100 })
    for (let i = 0; i < 30; i++) assert.equal((await predict(url, key)).version, '2', 'the shadow never answers')
    await sleep(500)
    const { stdout } = await wharf(['traffic', model, '--env', 'production', '--json'])
    const report = JSON.parse(stdout).agreement.find((r: any) => r.shadow_version === '1' && r.live_version === '2')
    assert.ok(report && report.shadowed_requests >= 30, stdout)
    assert.equal(report.shadow_errors, 0)
    assert.ok(report.compared_rows >= 60 && report.mean_absolute_difference > 0, 'two different models disagree a little')
  })

  it('takes a regenerated key within seconds and stops taking the old one; the other key keeps working', async () => {
    const { url } = await endpoint()
    const before = await keys()
    const { stdout } = await wharf(['endpoint', 'keys', 'rotate', model, '--env', 'production', '--key', 'primary', '--json'])
    const after = JSON.parse(stdout)
    assert.notEqual(after.primary_key, before.primary_key)
    assert.equal(after.secondary_key, before.secondary_key)
    await waitFor(
      async () => (await predict(url, after.primary_key)).status === 200 && (await predict(url, before.primary_key)).status === 401,
      'the pods to read the new keys',
      120_000,
    )
    assert.equal((await predict(url, before.secondary_key)).status, 200)
  })

  it('rolls production back to the version live before, and the alias the promote moved goes back with it', async () => {
    const { stdout } = await wharf(['rollback', model, '--env', 'production'])
    assert.match(stdout, /rollback .* in production: v2 → v1/)
    const e = await endpoint()
    assert.equal(e.live_version, '1')
    assert.equal((await predict(e.url, (await keys()).primary_key)).version, '1')
    const alias = (await (await fetch(`${server.url}/api/2.0/mlflow/registered-models/alias?name=${model}&alias=production`)).json()) as any
    assert.equal(alias.model_version.version, '1')
  })

  it('reaches an endpoint from outside the cluster: a LoadBalancer Service on every node, an Ingress with TLS, and reports its URL', async () => {
    const { endpoint: e } = await api('POST', 'deploy', { model_name: model, version: '2', environment: 'edge' })
    assert.equal(e.url, 'https://fraud.example.test', 'the Ingress host is the most specific URL')
    const edge = new EndpointNames('edge', model)
    const ingress = await kube.read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name: edge.base })
    assert.deepEqual(JSON.parse(JSON.stringify((ingress!.spec as any).tls)), [{ hosts: ['fraud.example.test'], secretName: 'fraud-tls' }])
    const service = await kube.read({ apiVersion: 'v1', kind: 'Service', namespace, name: edge.base })
    assert.equal((service!.spec as any).type, 'LoadBalancer')
    // No load balancer controller here: the Service is reached on its node port of the node's address.
    const nodePort = (service!.spec as any).ports[0].nodePort
    const [node] = await kube.list('v1', 'Node', '', '')
    const address = (node!.status!.addresses as any[]).find((a) => a.type === 'InternalIP').address
    const { primary_key: key } = await keys('edge')
    // kube-proxy programs node ports on its own schedule, a moment after the router is ready.
    await waitFor(async () => (await predict(`http://${address}:${nodePort}`, key)).status === 200, `the node port ${address}:${nodePort}`, 30_000)
    const answer = await predict(`http://${address}:${nodePort}`, key)
    assert.equal(answer.version, '2')
    assert.notEqual(key, (await keys()).primary_key, 'each endpoint has keys of its own')
    await api('POST', 'undeploy', { model_name: model, environment: 'edge' })
    assert.equal(await kube.read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name: edge.base }), undefined)
  })

  // The `watched` endpoint (gRPC and monitoring on): what its routers were sent over HTTP, request by request.
  const watchedSent: { requestId: string; rows: number }[] = []
  /** The gRPC ModelInfer call the router pods sample too (a bare tensor: logged, not in the drift window). */
  const watchedGrpcId = `grpc-${tag}`
  const scoreWatched = async (url: string, key: string, data: number[][]) => {
    for (let i = 0; i < data.length; i += 25) {
      const chunk = data.slice(i, i + 25)
      const res = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ dataframe_split: { columns, data: chunk } }),
      })
      const text = await res.text()
      assert.equal(res.status, 200, text)
      watchedSent.push({ requestId: res.headers.get('x-request-id')!, rows: chunk.length })
    }
    return watchedSent.reduce((n, s) => n + s.rows, 0)
  }
  const monitorJson = async () => JSON.parse((await wharf(['monitor', model, '--env', 'watched', '--json'])).stdout)

  it('serves KServe V2 over gRPC through the endpoint Service to the live version (pods admitted under "restricted"), with the endpoint key, as /invocations answers', async () => {
    const { endpoint: e } = await api('POST', 'deploy', { model_name: model, version: '1', environment: 'watched' })
    assert.equal(e.health, 'ready')
    assert.match(e.grpc_url, /^10\.96\.\d+\.\d+:8081$/)
    assert.equal(e.grpc_url.split(':')[0], new URL(e.url).hostname, 'the same Service, another port')
    const watched = new EndpointNames('watched', model)
    const service = await kube.read({ apiVersion: 'v1', kind: 'Service', namespace, name: watched.base })
    const grpcPort = (service!.spec as any).ports.find((p: any) => p.name === 'grpc')
    assert.equal(grpcPort.appProtocol, 'kubernetes.io/h2c')
    const { primary_key: key } = await keys('watched')
    const http = JSON.parse((await predict(e.url, key)).body).predictions as number[]
    watchedSent.push({ requestId: '', rows: rows.length })
    const client = new GrpcClient(e.grpc_url, grpc.credentials.createInsecure())
    const withKey = (k: string) => {
      const m = new grpc.Metadata()
      m.set('authorization', `Bearer ${k}`)
      return m
    }
    const infer = (metadata: grpc.Metadata) =>
      grpcCall(
        client,
        'ModelInfer',
        { modelName: model, id: watchedGrpcId, inputs: [{ name: 'x', datatype: 'FP64', shape: [2, 10], contents: { fp64Contents: rows.flat() } }] },
        metadata,
      )
    try {
      assert.deepEqual(await grpcCall(client, 'ServerReady', {}), { ready: true })
      const answer = await infer(withKey(key))
      const predictions = Array.from(new Float64Array(new Uint8Array(answer['rawOutputContents'][0] as Buffer).buffer))
      assert.equal(predictions.length, 2)
      assert.deepEqual(predictions, http, 'gRPC ModelInfer answers what /invocations answers for the same rows')
      for (const metadata of [new grpc.Metadata(), withKey('not-a-key')])
        await assert.rejects(infer(metadata), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED)
    } finally {
      client.close()
    }
  })

  it('monitors the kubernetes endpoint: rows its router logs are harvested once each into drift, wharf monitor and the prediction log', async () => {
    const { primary_key: key } = await keys('watched')
    const { url } = await endpoint('watched')
    const data = await diabetesData(join(root, 'data/diabetes.csv'))
    let sent = await scoreWatched(url, key, data.slice(0, 300))
    // Every row once: harvest rounds run every few seconds over the same pod log.
    const calm = await waitForValue(
      `${sent} rows in the drift window`,
      async () => {
        const report = await monitorJson()
        return report.window.rows_seen === sent && report
      },
      90_000,
      1000,
    )
    for (const f of calm.features) assert.ok(f.psi < 0.1, `${f.name} stays low: ${JSON.stringify(f)}`)
    const bmi = columns.indexOf('bmi')
    const values = data.map((r) => r[bmi]!)
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
    sent = await scoreWatched(
      url,
      key,
      data.slice(100, 400).map((r) => r.map((v, n) => (n === bmi ? v + 2 * std : v))),
    )
    const shifted = await waitForValue(
      `${sent} rows in the drift window`,
      async () => {
        const report = await monitorJson()
        return report.window.rows_seen === sent && report
      },
      90_000,
      1000,
    )
    assert.equal(shifted.window.rows, 300)
    for (const f of shifted.features) {
      if (f.name === 'bmi') assert.ok(f.psi > 0.25, `bmi PSI ${f.psi}`)
      else assert.ok(f.psi < 0.25, `${f.name} stays low: ${JSON.stringify(f)}`)
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    const gauge = new RegExp(`^wharf_feature_drift_psi\\{model="${model}",version="1",environment="watched",feature="bmi"\\} (\\S+)$`, 'm').exec(metrics)
    assert.ok(Number(gauge?.[1]) > 0.25, metrics)
    // The prediction log in the artifact store: each request sent over HTTP, once.
    const folder = join(dir, 'artifacts/monitoring/predictions/watched', model)
    const logged = await waitForValue(
      'the prediction log',
      async () => {
        const ids: string[] = []
        for (const partition of await readdir(folder))
          for (const file of await readdir(join(folder, partition)))
            for (const line of gunzipSync(await readFile(join(folder, partition, file)))
              .toString('utf8')
              .trim()
              .split('\n'))
              ids.push(JSON.parse(line).request_id)
        return ids.length >= watchedSent.length + 1 && ids
      },
      60_000,
      1000,
    )
    // ...and the gRPC ModelInfer call that succeeded, sampled by the router pod's gRPC port (the refused ones are not taken).
    assert.equal(logged.length, watchedSent.length + 1)
    for (const s of watchedSent.filter((x) => x.requestId !== '')) assert.ok(logged.includes(s.requestId), s.requestId)
    assert.ok(logged.includes(watchedGrpcId), `the gRPC call ${watchedGrpcId} in ${JSON.stringify(logged)}`)
  })

  it("counts a kubernetes endpoint's requests from every serving pod on the control plane's /metrics, and the monitor gate's error rate sees them", async (t) => {
    const watched = new EndpointNames('watched', model)
    await kube.scale(namespace, watched.version('1'), 2)
    await waitFor(
      async () => (await kube.read({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: watched.version('1') }))?.status?.readyReplicas === 2,
      'watched v1 at 2 ready pods',
    )
    const { primary_key: key } = await keys('watched')
    const { url } = await endpoint('watched')
    const series = `model="${model}",environment="watched",version="1"`
    /** The control plane's page once every instance answered its scrape: requests and 5xx of watched v1 summed over its pods. */
    const counters = async () =>
      waitForValue(
        'a scrape of /metrics that reached every instance',
        async () => {
          const page = await (await fetch(`${server.url}/metrics`)).text()
          if (!/^wharf_endpoint_scrape_errors 0$/m.test(page)) return false
          const value = (name: string) => Number(new RegExp(`^${name}\\{${series}\\} (\\d+)$`, 'm').exec(page)?.[1])
          const requests = value('wharf_endpoint_requests_total')
          return Number.isFinite(requests) && { requests, errors: value('wharf_endpoint_errors_total'), refused: value('wharf_endpoint_client_errors_total') }
        },
        60_000,
        1000,
      )
    const before = await counters()
    // 30 requests, 10 of them without the bmi column (refused, 400), through the router to both pods: ten at a
    // time, so that the router opens several connections to the version's Service and kube-proxy spreads them.
    const data = (await diabetesData(join(root, 'data/diabetes.csv'))).slice(0, 30)
    const statuses: number[] = []
    for (let wave = 0; wave < 3; wave++) {
      const answers = await Promise.all(
        data.slice(wave * 10, wave * 10 + 10).map(async (row, n) => {
          const isBad = (wave * 10 + n) % 3 === 0
          const cols = isBad ? columns.filter((c) => c !== 'bmi') : columns
          const values = isBad ? row.filter((_, c) => columns[c] !== 'bmi') : row
          const res = await fetch(`${url}/invocations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ dataframe_split: { columns: cols, data: [values] } }),
          })
          await res.arrayBuffer()
          return res.status
        }),
      )
      statuses.push(...answers)
    }
    assert.deepEqual([statuses.filter((s) => s === 200).length, statuses.filter((s) => s === 400).length], [20, 10], JSON.stringify(statuses))
    const afterRequests = await waitForValue(
      `the 30 requests counted on /metrics (${before.requests} before)`,
      async () => {
        const now = await counters()
        return now.requests === before.requests + 30 && now
      },
      60_000,
      1000,
    )
    assert.equal(afterRequests.refused, before.refused + 10, 'the 10 refused requests in the 4xx counter')
    assert.equal(afterRequests.errors, before.errors, 'no 5xx: the refused requests are 4xx')
    // Each pod is its own instance in the live metrics, read through the pod proxy with the metrics key.
    const live = (await api('GET', 'live-metrics', { environment: 'watched', model_name: model })).endpoints[0].instances
    assert.equal(live.length, 2, JSON.stringify(live))
    for (const i of live) {
      assert.equal(i.error, null, JSON.stringify(i))
      assert.equal(i.role, 'live')
      assert.match(i.url, new RegExp(`/api/v1/namespaces/${namespace}/pods/${watched.version('1')}-[a-z0-9-]+:8080/proxy$`))
    }
    assert.equal(
      live.reduce((n: number, i: any) => n + i.requests_total, 0),
      afterRequests.requests,
      'the page sums the pods the live metrics list',
    )
    assert.ok(
      live.every((i: any) => i.requests_total > 0),
      `each pod answered some: ${JSON.stringify(live.map((i: any) => i.requests_total))}`,
    )
    // The monitor gate reads the same pods: one request in 2 refused passes its 0.2 error rate.
    let isSending = true
    const sender = (async () => {
      for (let i = 0; isSending; i++) {
        const cols = i % 2 === 0 ? columns.filter((c) => c !== 'bmi') : columns
        const values = i % 2 === 0 ? data[i % 30]!.filter((_, n) => columns[n] !== 'bmi') : data[i % 30]!
        const res = await fetch(`${url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ dataframe_split: { columns: cols, data: [values] } }),
        })
        await res.arrayBuffer()
      }
    })()
    try {
      const watch = runPipelineProcess(dir, server.url, 'watch-errors.yaml')
      const code = await watch.exited
      for (const line of watch.output().split('\n')) if (/breach|last check/.test(line)) t.diagnostic(line.trim())
      assert.notEqual(code, 0, watch.output())
      assert.match(watch.output(), /breach: error rate 0\.\d+ > 0\.2 \(\d+ of \d+ requests answered 4xx\/5xx\)/)
    } finally {
      isSending = false
      await sender
    }
    await api('POST', 'undeploy', { model_name: model, environment: 'watched' })
  })

  it('undeploys every object it made, and only those', async () => {
    await api('POST', 'undeploy', { model_name: model, environment: 'production' })
    for (const kind of [
      ['apps/v1', 'Deployment'],
      ['v1', 'Service'],
      ['v1', 'Secret'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
    ] as const) {
      assert.deepEqual(
        (await kube.list(kind[0], kind[1], namespace, names.selector)).map((o) => o.metadata.name),
        [],
        kind[1],
      )
    }
    assert.ok(await kube.read({ apiVersion: 'v1', kind: 'Secret', namespace, name: 'it-pull' }), "the user's pull Secret stays")
  })

  it('runs the quickstart pipeline with production on Kubernetes end to end (examples/diabetes/kubernetes.sh)', async () => {
    const work = join(dir, 'quickstart')
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number }
        probe.close(() => resolve(port))
      })
    })
    const uri = `http://127.0.0.1:${port}`
    const env = { ...process.env, WHARF_TRACKING_URI: uri, WHARF_QUICKSTART_DIR: work, WHARF_PIPELINE_MODEL_CACHE_DIR: join(work, 'models') }
    try {
      const { stdout } = await run('sh', [join(root, 'examples/diabetes/kubernetes.sh')], { env, maxBuffer: 16 * 1024 * 1024, timeout: 900_000 })
      for (const stage of ['train', 'staging', 'gate', 'production']) assert.match(stdout, new RegExp(`✓ stage ${stage} `))
      assert.match(stdout, /✓ test_production .*url=http:\/\/10\.96\.\d+\.\d+\/invocations/)
      const listed = (await (await fetch(`${uri}/api/2.0/wharf/deployments/list?environment=production`)).json()) as any
      const production = listed.endpoints.find((e: any) => e.model_name === 'diabetes')
      assert.equal(production.target, 'kubernetes')
      assert.equal(production.health, 'ready')
      assert.match(production.instances[0].image, /^127\.0\.0\.1:5443\/wharf\/wharf-diabetes-[0-9a-f]{8}:v1$/, 'built by Wharf and pushed to the registry')
      const { primary_key: key } = (await (await fetch(`${uri}/api/2.0/wharf/deployments/keys?environment=production&model_name=diabetes`)).json()) as any
      assert.match(stdout, new RegExp(`curl -s -X POST ${production.url}/invocations -H 'Authorization: Bearer ${key}'`))
      assert.equal((await predict(production.url, key)).status, 200)
    } finally {
      await fetch(`${uri}/api/2.0/wharf/deployments/undeploy`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model_name: 'diabetes', environment: 'production' }),
      }).catch(() => {})
      const listed = (await (await fetch(`${uri}/api/2.0/wharf/deployments/list`)).json().catch(() => ({ endpoints: [] }))) as any
      for (const e of listed.endpoints)
        for (const i of e.instances)
          if (i.pid)
            try {
              process.kill(i.pid, 'SIGTERM')
            } catch {
              /* gone */
            }
      const pid = Number(await readFile(join(work, 'server.pid'), 'utf8').catch(() => '0'))
      if (pid > 0)
        try {
          process.kill(pid, 'SIGTERM')
        } catch {
          /* gone */
        }
    }
  })

  it('leaves nothing on the machine after kube-down: no process, mount, bridge, rule, cgroup or network namespace', async (t) => {
    if (!cluster.isStartedHere) return t.skip('the cluster was up before these tests; it stays up')
    const running = clusterTraces()
    assert.ok(running.processes.length >= 8 && running.links.length === 1, `the cluster was running: ${JSON.stringify(running)}`)
    // The server is stopped here, before after(): what it served locally (staging) is undeployed first.
    await stopServer()
    assert.deepEqual(await servingPids(dir), [], 'no serving process of this suite is left')
    await downCluster()
    await downCluster()
    assert.deepEqual(clusterTraces(), { processes: [], mounts: [], links: [], iptables: [], nftables: [], cgroups: [], netns: [], files: [] })
    assert.deepEqual(machineState(), machineBefore, 'nftables tables, links, iptables chains and network namespaces as before kube-up')
  })
})

async function waitFor(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return
    await sleep(500)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Clients sending requests one after another over keep-alive connections until stopped. */
function startLoad(url: string, key: string, clients = 4) {
  let isStopping = false
  let ok = 0
  const failures: string[] = []
  const versions = new Map<string, number>()
  const loops = Array.from({ length: clients }, async () => {
    while (!isStopping) {
      try {
        const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body })
        const text = await res.text()
        if (res.status === 200) {
          ok++
          const v = res.headers.get('x-wharf-routed-version') ?? '?'
          versions.set(v, (versions.get(v) ?? 0) + 1)
        } else failures.push(`${res.status} ${text.slice(0, 200)}`)
      } catch (err) {
        failures.push(`${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`)
      }
    }
  })
  return {
    stop: async () => {
      isStopping = true
      await Promise.all(loops)
      return { ok, failures, versions }
    },
  }
}

/**
 * Every half second: which configurations the router pods have, and how many ready pods each
 * version has. A violation is a moment when a router pod could send to a version that had fewer
 * ready pods than the autoscaler's count (3).
 */
function sampleCapacity(kube: KubernetesApi, namespace: string, names: EndpointNames) {
  let isStopping = false
  let count = 0
  const violations: string[] = []
  const loop = (async () => {
    while (!isStopping) {
      const [pods, deployments] = await Promise.all([
        kube.list('v1', 'Pod', namespace, `${names.selector},app.kubernetes.io/component=router`),
        kube.list('apps/v1', 'Deployment', namespace, `${names.selector},app.kubernetes.io/component=serve`),
      ])
      const ready = new Map(deployments.map((d: LiveObject) => [d.metadata.labels?.['wharf.io/model-version'], d.status?.readyReplicas ?? 0]))
      for (const pod of pods) {
        const config = JSON.parse(((pod.spec as any).containers[0].env as any[]).find((e) => e.name === 'WHARF_ROUTE_CONFIG').value)
        for (const t of config.targets)
          if ((ready.get(t.version) ?? 0) < 3) violations.push(`router ${pod.metadata.name} → v${t.version} with ${ready.get(t.version) ?? 0} ready`)
      }
      count++
      await sleep(500)
    }
  })()
  return {
    stop: async () => {
      isStopping = true
      await loop
      return { count, violations }
    },
  }
}
