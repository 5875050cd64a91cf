import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
// Kubernetes' OpenAPI schemas, compiled to validators by kubernetes-models (pinned in devDependencies).
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Service } from 'kubernetes-models/v1/Service'
import { parseEnvironments, type KubernetesEnvironment } from '../environments.js'
import {
  buildAutoscaler,
  buildConfigSecret,
  buildDisruptionBudget,
  buildEndpointService,
  buildIngress,
  buildKeysSecret,
  buildPullSecret,
  buildRouterDeployment,
  buildVersionDeployment,
  buildVersionService,
  type EndpointInput,
  type Manifest,
} from './manifests.js'
import { EndpointNames, ownerAnnotation } from './names.js'

const snapshotPath = fileURLToPath(new URL('../../../src/deploy/kubernetes/manifests.snapshot.json', import.meta.url))

const production = parseEnvironments(`
environments:
  production:
    target: kubernetes
    namespace: ml-prod
    registry: myacr.azurecr.io/ml
    credentialsSecret: wharf-credentials
    autoscaling: { minReplicas: 3, maxReplicas: 12, targetCpuUtilization: 60 }
    resources: { requests: { cpu: 500m, memory: 512Mi }, limits: { memory: 1Gi } }
    minAvailable: 2
    service: { type: LoadBalancer }
    ingress: { host: fraud.example.com, tlsSecret: fraud-tls, className: nginx }
`).get('production') as KubernetesEnvironment

const validators: Record<string, (m: Manifest) => void> = {
  Deployment: (m) => new Deployment(m as never).validate(),
  Service: (m) => new Service(m as never).validate(),
  HorizontalPodAutoscaler: (m) => new HorizontalPodAutoscaler(m as never).validate(),
  PodDisruptionBudget: (m) => new PodDisruptionBudget(m as never).validate(),
  Secret: (m) => new Secret(m as never).validate(),
  Ingress: (m) => new Ingress(m as never).validate(),
}

const input = (env: KubernetesEnvironment, modelName = 'Fraud Detector'): EndpointInput => ({
  env,
  names: new EndpointNames(env.name, modelName),
  wharfVersion: '0.1.0',
  pullSecret: 'pull',
})
const podOf = (deployment: Manifest) => (deployment.spec as any).template.spec
const template = 'myacr.azurecr.io/ml/wharf-{model}:v{version}'

describe('Kubernetes manifests', () => {
  const i = input(production)
  const manifests = [
    buildKeysSecret(i, ['a'.repeat(64), 'b'.repeat(64)]),
    buildPullSecret(i, 'myacr.azurecr.io', 'u', 'p'),
    buildDisruptionBudget(i, 'serve'),
    buildDisruptionBudget(i, 'router'),
    buildEndpointService(i),
    buildIngress(i)!,
    buildVersionDeployment(i, '7', template),
    buildVersionService(i, '7'),
    buildRouterDeployment(i, 'myacr.azurecr.io/ml/wharf-x:v7', { targets: [{ version: '7', host: '10.96.0.10', port: 8080, weight: 100 }] }),
    buildAutoscaler(i, '7')!,
  ]
  // The same endpoint with KServe V2 over gRPC (`grpc: true`), in the snapshot too.
  const g = input({ ...production, grpc: true })
  const grpcRoute = {
    targets: [{ version: '7', host: '10.96.0.10', port: 8080, weight: 100 }],
    grpc: { version: '7', host: '10.96.0.10', port: 8081 },
    capture: { sampleRate: 0.1 },
  }
  const withGrpc = [
    buildEndpointService(g),
    buildVersionDeployment(g, '7', template),
    buildVersionService(g, '7'),
    buildRouterDeployment(g, 'myacr.azurecr.io/ml/wharf-x:v7', grpcRoute),
  ]

  it('renders every object of an endpoint as in the snapshot', async () => {
    const rendered = `${JSON.stringify([...manifests, ...withGrpc], null, 2)}\n`
    const expected = await readFile(snapshotPath, 'utf8').catch(() => undefined)
    if (expected === undefined) await writeFile(snapshotPath, rendered)
    else assert.equal(rendered, expected, `manifests changed; if on purpose, delete ${snapshotPath} and run the test again`)
  })

  it('validates every rendered object against the Kubernetes OpenAPI schemas', () => {
    for (const m of [...manifests, ...withGrpc]) assert.doesNotThrow(() => validators[m.kind]!(m), `${m.kind} is not valid`)
  })

  it('is refused by the schemas when a field has the wrong type, so the check has teeth', () => {
    const broken = structuredClone(manifests[6]!) as unknown as { spec: { strategy: { type: unknown } } }
    broken.spec.strategy.type = 42
    assert.throws(() => validators.Deployment!(broken as unknown as Manifest))
  })

  it('gives two models whose names differ only in case and punctuation different names', () => {
    const a = new EndpointNames('production', 'Diab Model')
    const b = new EndpointNames('production', 'diab-model')
    assert.notEqual(a.base, b.base)
    assert.notEqual(a.base, new EndpointNames('staging', 'Diab Model').base, 'two environments may share a namespace')
    assert.match(a.base, /^wharf-diab-model-[0-9a-f]{8}$/)
    const long = new EndpointNames('production', 'x'.repeat(300))
    assert.ok(long.version('123456').length <= 63 && long.router.length <= 63, 'suffixed names fit a DNS label')
  })

  it('marks every object with the endpoint it belongs to', () => {
    for (const m of manifests) assert.equal(m.metadata.annotations?.[ownerAnnotation], 'production/Fraud Detector', m.kind)
  })

  it('hardens the serving pod: probes that fit model loading, a read-only root, no token, seccomp, limits', () => {
    const pod = podOf(manifests[6]!)
    const serve = pod.containers[0]
    assert.equal(serve.livenessProbe.httpGet.path, '/v2/health/live', 'liveness answers while the model loads')
    assert.equal(serve.readinessProbe.httpGet.path, '/v2/health/ready')
    assert.ok(serve.startupProbe.periodSeconds * serve.startupProbe.failureThreshold >= 300, 'five minutes to download and load a model')
    assert.deepEqual(serve.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    })
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' })
    assert.equal(pod.automountServiceAccountToken, false)
    assert.equal(serve.resources.limits.cpu, '1')
    assert.equal(serve.resources.requests.cpu, '500m')
    assert.deepEqual(
      pod.volumes.map((v: any) => v.name),
      ['tmp', 'model-cache', 'keys'],
    )
    assert.ok(pod.volumes.find((v: any) => v.name === 'model-cache').emptyDir, 'the model cache is an emptyDir')
    assert.equal((manifests[6]!.spec as any).replicas, undefined, 'replicas are set through the scale subresource, never applied')
    assert.deepEqual(pod.imagePullSecrets, [{ name: 'pull' }])
    assert.equal(serve.image, `myacr.azurecr.io/ml/wharf-${i.names.base.slice(6)}:v7`)
  })

  it('keeps a tracking URI with credentials out of the pod spec: it goes to a Secret', () => {
    const env = { ...production, image: 'myacr.azurecr.io/ml/wharf:0.1.0', trackingUri: 'https://ci:s3cret@mlflow.example.com' }
    const deployment = buildVersionDeployment(input(env), '3', env.image)
    const serve = podOf(deployment).containers[0]
    assert.deepEqual(serve.command.slice(2, 5), ['serve', '--model-uri', 'models:/Fraud Detector/3'])
    assert.doesNotMatch(JSON.stringify(deployment), /s3cret/)
    assert.deepEqual(serve.env.find((e: any) => e.name === 'WHARF_TRACKING_URI').valueFrom.secretKeyRef.key, 'WHARF_TRACKING_URI')
    assert.equal((buildConfigSecret(input(env))!.stringData as any).WHARF_TRACKING_URI, env.trackingUri)
    const plain = { ...env, trackingUri: 'https://mlflow.example.com' }
    assert.equal(
      podOf(buildVersionDeployment(input(plain), '3', env.image)).containers[0].env.find((e: any) => e.name === 'WHARF_TRACKING_URI').value,
      plain.trackingUri,
    )
    assert.equal(buildConfigSecret(input(plain)), undefined)
  })

  it('exposes KServe V2 gRPC when the environment asks: serving, version Service, router and endpoint Service ports', () => {
    const [endpointService, deployment, versionService, routerDeployment] = withGrpc as [Manifest, Manifest, Manifest, Manifest]
    const serve = podOf(deployment).containers[0]
    assert.deepEqual(serve.ports[1], { name: 'grpc', containerPort: 8081, protocol: 'TCP' })
    assert.equal(serve.env.find((e: any) => e.name === 'WHARF_SERVE_GRPC_PORT').value, '8081')
    const h2c = { name: 'grpc', port: 8081, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' }
    assert.deepEqual((versionService.spec as any).ports[1], h2c)
    assert.deepEqual((endpointService.spec as any).ports[1], h2c)
    assert.deepEqual((buildEndpointService(input({ ...production, grpcPort: 9000 })).spec as any).ports[1], { ...h2c, port: 9000 }, 'grpcPort implies grpc')
    const router = podOf(routerDeployment).containers[0]
    assert.deepEqual(router.command.slice(-2), ['--grpc-port', '8082'])
    assert.deepEqual(router.ports[2], { name: 'grpc', containerPort: 8082, protocol: 'TCP' })
    // Without gRPC, none of it.
    assert.doesNotMatch(JSON.stringify(manifests), /grpc|GRPC/)
  })

  it('gives pods only the digests of the endpoint keys, and no keys volume with authMode none', () => {
    assert.match((manifests[0]!.stringData as any).keys, /^sha256:a{64}\nsha256:b{64}\n$/)
    const open = buildVersionDeployment(input({ ...production, authMode: 'none' }), '1', template)
    assert.ok(!JSON.stringify(open).includes('keys'))
  })
})
