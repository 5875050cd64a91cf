import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { KubernetesEnvironment } from '../environments.js'
import { buildManifests, type Manifest } from './manifests.js'
import { type KubernetesApi, planChanges, reconcile, rolloutStatus, watchRollout } from './reconcile.js'

const env: KubernetesEnvironment = { name: 'production', target: 'kubernetes', namespace: 'ml', replicas: 2, servicePort: 80 }
const render = (version: string, e: KubernetesEnvironment = env) =>
  buildManifests({ env: e, modelName: 'fraud', version, image: 'r/wharf-{model}:v{version}', wharfVersion: '0' })

/** An in-memory API server that adds what a real one adds (resourceVersion, defaults, status). */
class FakeApi implements KubernetesApi {
  readonly objects = new Map<string, Manifest>()
  readonly calls: string[] = []
  read = async (kind: string, _apiVersion: string, namespace: string, name: string) => this.objects.get(`${kind}/${namespace}/${name}`)
  create = async (m: Manifest) => this.#put('create', m)
  replace = async (m: Manifest) => this.#put('replace', m)
  delete = async (m: Manifest) => {
    this.calls.push(`delete ${m.kind}`)
    this.objects.delete(`${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)
  }
  #put(verb: string, m: Manifest) {
    this.calls.push(`${verb} ${m.kind}`)
    const live = structuredClone({
      ...m,
      metadata: { ...m.metadata, resourceVersion: String(this.calls.length), generation: 1 },
      spec: { ...m.spec, progressDeadlineSeconds: 600 },
    })
    this.objects.set(`${m.kind}/${m.metadata.namespace}/${m.metadata.name}`, live)
  }
}

describe('reconciling Kubernetes objects', () => {
  it('creates what is missing, leaves what matches, updates what differs', async () => {
    const api = new FakeApi()
    assert.deepEqual(
      (await reconcile(render('1'), api)).map((p) => p.action),
      ['create', 'create', 'create'],
    )
    assert.deepEqual(
      (await reconcile(render('1'), api)).map((p) => p.action),
      ['unchanged', 'unchanged', 'unchanged'],
    )
    const plan = await reconcile(render('2'), api)
    assert.deepEqual(
      plan.map((p) => `${p.action} ${p.kind}`),
      ['update Deployment', 'unchanged Service', 'unchanged PodDisruptionBudget'],
    )
  })

  it('deletes an autoscaler Wharf made once it is no longer wanted', async () => {
    const api = new FakeApi()
    await reconcile(render('1', { ...env, autoscaling: { minReplicas: 2, maxReplicas: 4, targetCpuUtilization: 70 } }), api)
    const plan = await reconcile(render('1'), api)
    assert.deepEqual(
      plan.filter((p) => p.action !== 'unchanged').map((p) => `${p.action} ${p.kind}`),
      ['update Deployment', 'delete HorizontalPodAutoscaler'],
    )
  })

  it('plans without calling anything', () => {
    const desired = render('1')
    assert.deepEqual(
      planChanges(desired, [undefined, desired[1], desired[2]]).map((p) => p.action),
      ['create', 'unchanged', 'unchanged'],
    )
  })

  it('reads a rollout as kubectl rollout status does: progressing, ready, or failed', async () => {
    const [deployment] = render('1')
    const withStatus = (status: object, generation = 2) => ({ ...deployment!, metadata: { ...deployment!.metadata, generation }, status }) as Manifest
    assert.equal(rolloutStatus(withStatus({ observedGeneration: 1 })).state, 'progressing')
    assert.equal(rolloutStatus(withStatus({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 })).state, 'progressing')
    assert.equal(rolloutStatus(withStatus({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 })).state, 'ready')
    assert.equal(rolloutStatus(withStatus({ conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded', message: 'stuck' }] })).state, 'failed')
    const api = new FakeApi()
    await reconcile(render('1'), api)
    assert.equal((await watchRollout(api, deployment!, 50, 10)).state, 'failed', 'a rollout that never becomes ready fails at the timeout')
  })
})
