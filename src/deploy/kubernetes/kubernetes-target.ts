import { MlflowError } from '../../errors.js'
import type { AgreementReport } from '../agreement.js'
import type { RegistryCredentials } from '../container/push-image.js'
import { type Endpoint, liveVersionOf } from '../entities.js'
import type { EndpointStatus } from '../endpoint-status.js'
import type { Environment, KubernetesEnvironment } from '../environments.js'
import { describeClusterEndpoint } from './endpoint-description.js'
import { bringUp, type EndpointScope, retire, routeExtras, switchRouter, type Undo, undoRollout, versionOf } from './endpoint-rollout.js'
import type { KubernetesApi } from './kube-api.js'
import type { KubernetesDeployer, KubernetesRollRequest } from './kubernetes-deployer.js'
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
  imageOf,
  type Manifest,
  servePort,
} from './manifests.js'
import { EndpointNames } from './names.js'
import { OwnedObjects } from './owned-objects.js'
import type { RouteConfig } from './route-config.js'
import { RouterLogHarvest } from './router-log-harvest.js'
import { podMetricsSources } from './pod-metrics.js'
import type { MetricsSource } from '../metrics-source.js'
import type { PredictionTapFor } from '../prediction-tap.js'

export interface KubernetesTargetOptions {
  readonly wharfVersion: string
  /** The server's KUBECONFIG, for environments that name none. */
  readonly defaultKubeconfig?: string | undefined
  readonly connect?: (kubeconfig: string, context: string | undefined) => Promise<KubernetesApi>
  /** Builds the version's serving image and pushes it to `destination` (environments with `registry`). */
  readonly publishImage?: (modelName: string, version: string, env: KubernetesEnvironment, destination: string) => Promise<void>
  /** Registry login the kubelet gets as a pull Secret (when the environment names no Secret of its own). */
  readonly registryCredentials?: RegistryCredentials | undefined
  /** Shadow comparisons collected from the routers' logs go under this folder. */
  readonly shadowDir: string
  /** Monitoring's tap per endpoint: sampled predictions collected from the routers' logs go to it. */
  readonly predictionTapFor?: PredictionTapFor | undefined
  readonly pollMs?: number
}

const asKubernetes = (env: Environment): KubernetesEnvironment => {
  if (env.target !== 'kubernetes') throw new MlflowError('INVALID_STATE', `environment '${env.name}' is not a kubernetes environment`)
  return env
}

/**
 * The kubernetes target: every version of an endpoint is its own Deployment and Service, and Wharf's
 * traffic router (a Deployment of its own, behind the endpoint's Service) splits and mirrors requests
 * between them — blue/green with weights and a shadow, as on the local targets. A change brings new
 * versions up at the replica count they will need (the autoscaler's current count for a new live
 * version), waits until they are ready, rolls the router to the new weights, and only then lets old
 * versions go. Every object is applied server-side with Wharf's field manager and never with a
 * replica count (Wharf and autoscalers set it through the scale subresource), so an apply never
 * undoes an autoscaler. A rollout that fails is undone and the call fails with the cluster's reason.
 */
export class KubernetesTarget implements KubernetesDeployer {
  readonly #o: KubernetesTargetOptions
  readonly #harvest: RouterLogHarvest

  constructor(options: KubernetesTargetOptions) {
    this.#o = options
    this.#harvest = new RouterLogHarvest(options.shadowDir)
  }

  render(env: Environment, modelName: string, version: string): Manifest[] {
    const k = asKubernetes(env)
    const names = new EndpointNames(k.name, modelName)
    const template = k.image ?? `${k.registry ?? 'REGISTRY'}/wharf-{model}:v{version}`
    const input: EndpointInput = { env: k, names, wharfVersion: this.#o.wharfVersion, pullSecret: this.#pullSecretName(k, names) }
    const host = `${names.version(version)}.${k.namespace}.svc`
    const route: RouteConfig = { targets: [{ version, host, port: servePort, weight: 100 }], ...routeExtras(k, { version, host }) }
    return [
      ...this.#sharedObjects(input, ['<sha256 of the primary key>', '<sha256 of the secondary key>'], false, '<sha256 of the metrics key>'),
      buildVersionDeployment(input, version, template),
      buildVersionService(input, version),
      buildRouterDeployment(input, imageOf(template, names, version), route),
      buildAutoscaler(input, version),
    ].filter((m): m is Manifest => m !== undefined)
  }

  async roll(request: KubernetesRollRequest): Promise<{ applied: string[] }> {
    const scope = await this.#scope(request.env, request.modelName, request.version)
    const applied: string[] = []
    for (const m of this.#sharedObjects(scope.input, request.keyDigests, true, request.metricsDigest)) {
      await scope.objects.apply(m)
      applied.push(`${m.kind}/${m.metadata.name}`)
    }
    if (!scope.input.env.ingress)
      await scope.objects.delete({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: scope.env.namespace, name: scope.names.base })
    const undo: Undo = { created: [], scaled: [], replacedTemplates: [] }
    const started = Date.now()
    try {
      await bringUp(scope, request, undo, applied)
    } catch (err) {
      await undoRollout(scope, undo)
      const isFirst = liveVersionOf(request.before) === undefined
      if (isFirst) await this.undeploy(request).catch(() => {})
      throw new MlflowError(
        'INVALID_STATE',
        `${(err as Error).message}; rolled back: ${isFirst ? 'nothing of the endpoint is left' : 'the endpoint serves as before'}`,
        { cause: err },
      )
    }
    try {
      await switchRouter(scope, request.after, undo, started, applied, () => this.#collect(scope))
    } catch (err) {
      if (liveVersionOf(request.before) === undefined) await this.undeploy(request).catch(() => {})
      throw err
    }
    await retire(scope, request.before, request.after)
    return { applied }
  }

  async runningVersions(env: Environment, modelName: string): Promise<string[]> {
    const scope = await this.#scope(env, modelName)
    return (await scope.objects.list('apps/v1', 'Deployment', scope.env.namespace, 'serve')).map(versionOf).filter((v): v is string => v !== undefined)
  }

  async undeploy(request: { env: Environment; modelName: string }): Promise<void> {
    const scope = await this.#scope(request.env, request.modelName)
    const ns = scope.env.namespace
    const kinds = [
      ['networking.k8s.io/v1', 'Ingress'],
      ['v1', 'Service'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
      ['apps/v1', 'Deployment'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['v1', 'Secret'],
    ] as const
    for (const [apiVersion, kind] of kinds) {
      for (const o of await scope.objects.list(apiVersion, kind, ns)) await scope.api.delete({ apiVersion, kind, namespace: ns, name: o.metadata.name })
    }
  }

  async applyKeys(env: Environment, modelName: string, keyDigests: readonly string[], metricsDigest?: string): Promise<void> {
    const scope = await this.#scope(env, modelName)
    if (scope.env.authMode === 'key') await scope.objects.apply(buildKeysSecret(scope.input, keyDigests, metricsDigest))
  }

  async metricsSources(env: Environment, modelName: string, roles: ReadonlyMap<string, string>, metricsKey: string): Promise<MetricsSource[]> {
    try {
      return await podMetricsSources(await this.#scope(env, modelName), roles, metricsKey)
    } catch (err) {
      // The cluster did not answer: one source that fails says so, where the pods' numbers would be.
      const reason = (err as Error).message
      return [{ key: `unreachable:${env.name}`, version: '', role: '', url: '', read: () => Promise.reject(new Error(reason)) }]
    }
  }

  /** Adds what the cluster says: replicas wanted and ready per version, rollout states, the URL, recent warnings. */
  async describe(env: Environment, endpoint: Endpoint, base: EndpointStatus): Promise<EndpointStatus> {
    let scope: EndpointScope
    try {
      scope = await this.#scope(env, endpoint.modelName)
    } catch (err) {
      return { ...base, health: 'unknown', warnings: [(err as Error).message] }
    }
    return describeClusterEndpoint(scope, endpoint, base)
  }

  async close(): Promise<void> {
    await this.#harvest.close()
  }

  async agreement(env: Environment, modelName: string, sinceMs?: number): Promise<AgreementReport[]> {
    return this.#collect(await this.#scope(env, modelName), sinceMs)
  }

  async harvest(env: Environment, modelName: string): Promise<void> {
    await this.#collect(await this.#scope(env, modelName))
  }

  // ---------------------------------------------------------------------------------------------

  #collect(scope: EndpointScope, sinceMs?: number): Promise<AgreementReport[]> {
    return this.#harvest.collect(scope.api, scope.env, scope.names, this.#o.predictionTapFor?.(scope.env.name, scope.names.modelName), sinceMs)
  }

  async #scope(rawEnv: Environment, modelName: string, version?: string): Promise<EndpointScope> {
    const env = asKubernetes(rawEnv)
    const kubeconfig = env.kubeconfig ?? this.#o.defaultKubeconfig
    if (!kubeconfig) {
      throw new MlflowError(
        'INVALID_STATE',
        `environment '${env.name}' (kubernetes) has no cluster: set kubeconfig in wharf.yaml or KUBECONFIG for the server (wharf deploy --dry-run prints the manifests without one)`,
      )
    }
    const connect =
      this.#o.connect ?? (async (file: string, context: string | undefined) => (await import('./client-node-api.js')).connectKubernetes(file, context))
    const api = await connect(kubeconfig, env.context)
    const names = new EndpointNames(env.name, modelName)
    // An unreachable cluster fails here, before an image is built and pushed for nothing.
    if (version !== undefined) await api.list('apps/v1', 'Deployment', env.namespace, names.selector)
    const template = await this.#template(env, names, modelName, version)
    return {
      env,
      api,
      names,
      objects: new OwnedObjects(api, names),
      template,
      pollMs: this.#o.pollMs,
      input: { env, names, wharfVersion: this.#o.wharfVersion, pullSecret: this.#pullSecretName(env, names) },
    }
  }

  /** The image of the endpoint's versions: the environment's, or Wharf's own build pushed to its registry. */
  async #template(env: KubernetesEnvironment, names: EndpointNames, modelName: string, version: string | undefined): Promise<string> {
    if (env.image) return env.image
    if (!env.registry)
      throw new MlflowError(
        'INVALID_STATE',
        `environment '${env.name}' (kubernetes) needs an image or a registry to push Wharf's images to; set one in wharf.yaml`,
      )
    const template = `${env.registry}/wharf-{model}:v{version}`
    if (version !== undefined) {
      if (!this.#o.publishImage) throw new MlflowError('INVALID_STATE', 'this server cannot build images (no podman or docker)')
      await this.#o.publishImage(modelName, version, env, imageOf(template, names, version))
    }
    return template
  }

  #pullSecretName(env: KubernetesEnvironment, names: EndpointNames): string | undefined {
    if (env.imagePullSecret) return env.imagePullSecret
    return env.registry && this.#o.registryCredentials ? names.pullSecret : undefined
  }

  #sharedObjects(input: EndpointInput, keyDigests: readonly string[], withPullSecret: boolean, metricsDigest?: string): Manifest[] {
    const { env } = input
    const pull =
      withPullSecret && env.registry && !env.imagePullSecret && this.#o.registryCredentials
        ? buildPullSecret(input, env.registry.split('/')[0]!, this.#o.registryCredentials.username, this.#o.registryCredentials.password)
        : undefined
    return [
      env.authMode === 'key' ? buildKeysSecret(input, keyDigests, metricsDigest) : undefined,
      buildConfigSecret(input),
      pull,
      buildDisruptionBudget(input, 'serve'),
      buildDisruptionBudget(input, 'router'),
      buildEndpointService(input),
      buildIngress(input),
    ].filter((m): m is Manifest => m !== undefined)
  }
}
