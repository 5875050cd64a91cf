import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
// Kubernetes' OpenAPI schemas, compiled to validators by kubernetes-models (pinned in devDependencies).
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { Service } from 'kubernetes-models/v1/Service'
import { parseEnvironments, type KubernetesEnvironment } from '../environments.js'
import { buildManifests, type Manifest } from './manifests.js'

const snapshotPath = fileURLToPath(new URL('../../../src/deploy/kubernetes/manifests.snapshot.json', import.meta.url))

const production = parseEnvironments(`
environments:
  production:
    target: kubernetes
    namespace: ml-prod
    replicas: 3
    credentialsSecret: wharf-credentials
    autoscaling: { minReplicas: 3, maxReplicas: 12, targetCpuUtilization: 60 }
    resources: { requests: { cpu: 500m, memory: 512Mi }, limits: { memory: 1Gi } }
    minAvailable: 2
`).get('production') as KubernetesEnvironment

const validators: Record<string, (m: Manifest) => void> = {
  Deployment: (m) => new Deployment(m as never).validate(),
  Service: (m) => new Service(m as never).validate(),
  HorizontalPodAutoscaler: (m) => new HorizontalPodAutoscaler(m as never).validate(),
  PodDisruptionBudget: (m) => new PodDisruptionBudget(m as never).validate(),
}

describe('Kubernetes manifests', () => {
  const manifests = buildManifests({
    env: production,
    modelName: 'Fraud Detector',
    version: '7',
    image: 'registry.example/wharf-{model}:v{version}',
    wharfVersion: '0.1.0',
  })

  it('renders a Deployment, a Service, an autoscaler and a disruption budget that match the snapshot', async () => {
    assert.deepEqual(
      manifests.map((m) => m.kind),
      ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'],
    )
    const rendered = `${JSON.stringify(manifests, null, 2)}\n`
    const expected = await readFile(snapshotPath, 'utf8').catch(() => undefined)
    if (expected === undefined) await writeFile(snapshotPath, rendered)
    else assert.equal(rendered, expected, `manifests changed; if on purpose, delete ${snapshotPath} and run the test again`)
  })

  it('validates every rendered object against the Kubernetes OpenAPI schemas', () => {
    for (const m of manifests) assert.doesNotThrow(() => validators[m.kind]!(m), `${m.kind} is not valid`)
  })

  it('is refused by the schemas when a field has the wrong type, so the check has teeth', () => {
    const broken = structuredClone(manifests[0]!) as unknown as { spec: { strategy: { type: unknown } } }
    broken.spec.strategy.type = 42
    assert.throws(() => validators.Deployment!(broken as unknown as Manifest))
  })

  it('probes readiness and liveness, rolls with no pod unavailable, and runs as a non-root user', () => {
    const pod = (manifests[0]!.spec as any).template.spec.containers[0]
    assert.equal(pod.readinessProbe.httpGet.path, '/v2/health/ready')
    assert.equal(pod.livenessProbe.httpGet.path, '/health')
    assert.deepEqual((manifests[0]!.spec as any).strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 })
    assert.equal(pod.securityContext.runAsNonRoot, true)
    assert.equal(pod.image, 'registry.example/wharf-fraud-detector:v7')
    assert.equal((manifests[0]!.spec as any).replicas, undefined, 'the autoscaler owns the replica count')
  })

  it('downloads the model URI with credentials from the Secret when the image has no model inside', () => {
    const [deployment] = buildManifests({
      env: { ...production, autoscaling: undefined },
      modelName: 'fraud',
      version: '3',
      image: 'registry.example/wharf:0.1.0',
      wharfVersion: '0.1.0',
    })
    const pod = (deployment!.spec as any).template.spec.containers[0]
    assert.deepEqual(pod.command.slice(2, 5), ['serve', '--model-uri', 'models:/fraud/3'])
    assert.deepEqual(pod.envFrom, [{ secretRef: { name: 'wharf-credentials', optional: false } }])
    assert.equal((deployment!.spec as any).replicas, 3)
    assert.doesNotThrow(() => validators.Deployment!(deployment!))
  })
})
