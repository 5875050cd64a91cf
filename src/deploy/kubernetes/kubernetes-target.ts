import { MlflowError } from '../../errors.js'
import { version as wharfVersion } from '../../version.js'
import { describeEndpoint } from '../endpoint-status.js'
import { liveVersionOf } from '../entities.js'
import type { Environment, KubernetesEnvironment } from '../environments.js'
import { connectKubernetes } from './client-node-api.js'
import type { KubernetesDeployer, KubernetesDeployRequest } from './kubernetes-deployer.js'
import { buildManifests, type Manifest, resourceName } from './manifests.js'
import { type KubernetesApi, reconcile, watchRollout } from './reconcile.js'

const asKubernetes = (env: Environment): KubernetesEnvironment => {
  if (env.target !== 'kubernetes') throw new MlflowError('INVALID_STATE', `environment '${env.name}' is not a kubernetes environment`)
  return env
}

/** Renders an endpoint's manifests for a version (what `--dry-run` prints). */
export function renderFor(env: Environment, modelName: string, version: string): Manifest[] {
  return buildManifests({ env: asKubernetes(env), modelName, version, wharfVersion })
}

/**
 * The kubernetes target: renders the manifests, and when the environment names a kubeconfig,
 * reconciles them through the API and watches the rollout until ready or failed. Without a
 * kubeconfig the manifests are recorded as rendered, not applied.
 */
export class KubernetesTarget implements KubernetesDeployer {
  readonly #connect: (env: KubernetesEnvironment) => Promise<KubernetesApi>
  readonly #rolloutTimeoutMs: number

  constructor(options: { connect?: (env: KubernetesEnvironment) => Promise<KubernetesApi>; rolloutTimeoutMs?: number } = {}) {
    this.#connect = options.connect ?? ((env) => connectKubernetes(env.kubeconfig!, env.context))
    this.#rolloutTimeoutMs = options.rolloutTimeoutMs ?? 600_000
  }

  async deploy(request: KubernetesDeployRequest) {
    const env = asKubernetes(request.env)
    const manifests = renderFor(env, request.modelName, request.version)
    let applied: { plan: { action: string; kind: string; name: string }[]; rollout: string } | undefined
    if (env.kubeconfig) {
      const api = await this.#connect(env)
      const plan = await reconcile(manifests, api)
      const rollout = await watchRollout(api, manifests[0]!, this.#rolloutTimeoutMs)
      if (rollout.state !== 'ready')
        throw new MlflowError('INVALID_STATE', `rollout of ${request.modelName} version ${request.version} in '${env.name}' failed: ${rollout.message}`)
      applied = { plan: plan.map((p) => ({ action: p.action, kind: p.kind, name: p.name })), rollout: rollout.message }
    }
    const before = await request.store.getEndpoint(env.name, request.modelName)
    const endpoint = await request.store.putEndpoint(
      { environment: env.name, modelName: request.modelName, target: 'kubernetes', routerPort: undefined, traffic: { weights: { [request.version]: 100 } } },
      request.now,
    )
    const change = await request.store.recordChange({
      time: request.now,
      actor: request.actor,
      action: request.action,
      environment: env.name,
      modelName: request.modelName,
      fromVersion: before && liveVersionOf(before.traffic),
      toVersion: request.version,
      data: { ...request.extra, version: request.version, applied: applied !== undefined, ...(applied ?? { manifests }) },
    })
    const changes = await request.store.listChanges({ environment: env.name, modelName: request.modelName, limit: 200 })
    return { change, endpoint: describeEndpoint(endpoint, [], changes, () => undefined, '127.0.0.1', this.urlOf(env, request.modelName)) }
  }

  async undeploy(request: { env: Environment; modelName: string }): Promise<void> {
    const env = asKubernetes(request.env)
    if (!env.kubeconfig) return
    const api = await this.#connect(env)
    for (const manifest of renderFor(env, request.modelName, '0').reverse()) {
      if (await api.read(manifest.kind, manifest.apiVersion, env.namespace, manifest.metadata.name)) await api.delete(manifest)
    }
  }

  urlOf(env: Environment, modelName: string): string | undefined {
    if (env.target !== 'kubernetes') return undefined
    const port = env.servicePort === 80 ? '' : `:${env.servicePort}`
    return `http://${resourceName(modelName)}.${env.namespace}.svc.cluster.local${port}`
  }
}
