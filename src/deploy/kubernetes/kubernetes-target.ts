import { MlflowError } from '../../errors.js'
import type { AgreementReport } from '../agreement.js'
import type { RegistryCredentials } from '../container/push-image.js'
import { type Endpoint, liveVersionOf, type Traffic } from '../entities.js'
import type { EndpointStatus, InstanceStatus } from '../endpoint-status.js'
import type { Environment, KubernetesEnvironment } from '../environments.js'
import { ShadowHarvest } from './shadow-harvest.js'
import type { KubernetesApi, LiveObject } from './kube-api.js'
import type { KubernetesDeployer, KubernetesRollRequest } from './kubernetes-deployer.js'
import {
  buildAutoscaler, buildConfigSecret, buildDisruptionBudget, buildEndpointService, buildIngress, buildKeysSecret, buildPullSecret,
  buildRouterDeployment, buildVersionDeployment, buildVersionService, type EndpointInput, imageOf, type Manifest, routeConfigHash, servePort,
} from './manifests.js'
import { EndpointNames } from './names.js'
import { OwnedObjects } from './owned-objects.js'
import type { RouteConfig } from './route-config.js'
import { rolloutStatus, warningsAbout, watchRollout } from './rollout.js'
import { externalUrlOf } from './external-url.js'

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
  readonly pollMs?: number
}

const asKubernetes = (env: Environment): KubernetesEnvironment => {
  if (env.target !== 'kubernetes') throw new MlflowError('INVALID_STATE', `environment '${env.name}' is not a kubernetes environment`)
  return env
}

const deploymentRef = (namespace: string, name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name })
const serviceRef = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'Service', namespace, name })
const versionOf = (d: LiveObject) => d.metadata.labels?.['wharf.io/model-version']
const replicasOf = (d: LiveObject | undefined) => ((d?.spec as { replicas?: number } | undefined)?.replicas ?? 0)

/** One endpoint in one cluster, for the length of a call. */
interface Scope {
  readonly env: KubernetesEnvironment
  readonly api: KubernetesApi
  readonly objects: OwnedObjects
  readonly names: EndpointNames
  readonly input: EndpointInput
  /** Image template of the endpoint's versions (`{version}` replaced per version). */
  readonly template: string
}

/** What to undo when a rollout fails: Deployments this call created, and replica counts it raised. */
interface Undo {
  readonly created: string[]
  readonly scaled: [name: string, replicas: number][]
  readonly replacedTemplates: [manifest: Manifest, template: unknown][]
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
  readonly #harvest: ShadowHarvest

  constructor(options: KubernetesTargetOptions) {
    this.#o = options
    this.#harvest = new ShadowHarvest(options.shadowDir)
  }

  render(env: Environment, modelName: string, version: string): Manifest[] {
    const k = asKubernetes(env)
    const names = new EndpointNames(k.name, modelName)
    const template = k.image ?? `${k.registry ?? 'REGISTRY'}/wharf-{model}:v{version}`
    const input: EndpointInput = { env: k, names, wharfVersion: this.#o.wharfVersion, pullSecret: this.#pullSecretName(k, names) }
    const route: RouteConfig = { targets: [{ version, host: `${names.version(version)}.${k.namespace}.svc`, port: servePort, weight: 100 }] }
    return [
      ...this.#sharedObjects(input, ['<sha256 of the primary key>', '<sha256 of the secondary key>'], false),
      buildVersionDeployment(input, version, template),
      buildVersionService(input, version),
      buildRouterDeployment(input, imageOf(template, names, version), route),
      buildAutoscaler(input, version),
    ].filter((m): m is Manifest => m !== undefined)
  }

  async roll(request: KubernetesRollRequest): Promise<{ applied: string[] }> {
    const scope = await this.#scope(request.env, request.modelName, request.version)
    const applied: string[] = []
    for (const m of this.#sharedObjects(scope.input, request.keyDigests, true)) {
      await scope.objects.apply(m)
      applied.push(`${m.kind}/${m.metadata.name}`)
    }
    if (!scope.input.env.ingress) await scope.objects.delete({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: scope.env.namespace, name: scope.names.base })
    const undo: Undo = { created: [], scaled: [], replacedTemplates: [] }
    const started = Date.now()
    try {
      await this.#bringUp(scope, request, undo, applied)
    } catch (err) {
      await this.#undo(scope, undo)
      const isFirst = liveVersionOf(request.before) === undefined
      if (isFirst) await this.undeploy(request).catch(() => {})
      throw new MlflowError('INVALID_STATE', `${(err as Error).message}; rolled back: ${isFirst ? 'nothing of the endpoint is left' : 'the endpoint serves as before'}`, { cause: err })
    }
    try {
      await this.#switchRouter(scope, request.after, undo, started, applied)
    } catch (err) {
      if (liveVersionOf(request.before) === undefined) await this.undeploy(request).catch(() => {})
      throw err
    }
    await this.#retire(scope, request.before, request.after)
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
      ['networking.k8s.io/v1', 'Ingress'], ['v1', 'Service'], ['autoscaling/v2', 'HorizontalPodAutoscaler'], ['apps/v1', 'Deployment'],
      ['policy/v1', 'PodDisruptionBudget'], ['v1', 'Secret'],
    ] as const
    for (const [apiVersion, kind] of kinds) {
      for (const o of await scope.objects.list(apiVersion, kind, ns)) await scope.api.delete({ apiVersion, kind, namespace: ns, name: o.metadata.name })
    }
  }

  async applyKeys(env: Environment, modelName: string, keyDigests: readonly string[]): Promise<void> {
    const scope = await this.#scope(env, modelName)
    if (scope.env.authMode === 'key') await scope.objects.apply(buildKeysSecret(scope.input, keyDigests))
  }

  /** Adds what the cluster says: replicas wanted and ready per version, rollout states, the URL, recent warnings. */
  async describe(rawEnv: Environment, endpoint: Endpoint, base: EndpointStatus): Promise<EndpointStatus> {
    const env = asKubernetes(rawEnv)
    let scope: Scope
    let deployments: LiveObject[]
    try {
      scope = await this.#scope(env, endpoint.modelName)
      deployments = await scope.objects.list('apps/v1', 'Deployment', env.namespace)
    } catch (err) {
      return { ...base, health: 'unknown', warnings: [(err as Error).message] }
    }
    const live = liveVersionOf(endpoint.traffic)
    const router = deployments.find((d) => d.metadata.name === scope.names.router)
    const instances: InstanceStatus[] = deployments.filter((d) => versionOf(d) !== undefined).map((d) => {
      const version = versionOf(d)!
      const weight = endpoint.traffic.weights[version] ?? 0
      const role: InstanceStatus['role'] = version === live ? 'live' : weight > 0 ? 'canary' : endpoint.traffic.shadow?.version === version ? 'shadow' : 'standby'
      const ready = d.status?.readyReplicas ?? 0
      const container = ((d.spec as any)?.template?.spec?.containers ?? [])[0]
      return {
        version, role, weight, port: servePort, url: `http://${d.metadata.name}.${env.namespace}.svc:${servePort}`, image: container?.image,
        health: ready > 0 ? 'ready' : 'starting', restarts: 0, startTime: Date.parse(d.metadata.creationTimestamp ?? '') || 0,
        replicas: { desired: replicasOf(d), ready }, rollout: rolloutStatus(d).message,
      } as InstanceStatus
    })
    const serving = instances.filter((i) => i.weight > 0)
    const readyCount = serving.filter((i) => (i.replicas?.ready ?? 0) > 0).length
    const routerReady = (router?.status?.readyReplicas ?? 0) > 0
    const health = serving.length === 0 || !routerReady ? 'down' : readyCount === serving.length ? 'ready' : readyCount > 0 ? 'degraded' : 'down'
    const events = await scope.api.events(env.namespace).catch(() => [])
    const warnings = warningsAbout(events, scope.names.base, Date.now() - 10 * 60_000).slice(-5)
    const url = await externalUrlOf(scope.api, env, scope.names).catch(() => undefined)
    const routerRow = router ? [`router: ${router.status?.readyReplicas ?? 0} of ${replicasOf(router)} ready`] : []
    return { ...base, url, health, instances, warnings: [...routerRow.filter(() => !routerReady), ...warnings] }
  }

  async agreement(env: Environment, modelName: string): Promise<AgreementReport[]> {
    const scope = await this.#scope(env, modelName)
    return this.#harvest.collect(scope.api, scope.env, scope.names)
  }

  // ---------------------------------------------------------------------------------------------

  async #scope(rawEnv: Environment, modelName: string, version?: string): Promise<Scope> {
    const env = asKubernetes(rawEnv)
    const kubeconfig = env.kubeconfig ?? this.#o.defaultKubeconfig
    if (!kubeconfig) {
      throw new MlflowError('INVALID_STATE', `environment '${env.name}' (kubernetes) has no cluster: set kubeconfig in wharf.yaml or KUBECONFIG for the server (wharf deploy --dry-run prints the manifests without one)`)
    }
    const connect = this.#o.connect ?? (async (file: string, context: string | undefined) => (await import('./client-node-api.js')).connectKubernetes(file, context))
    const api = await connect(kubeconfig, env.context)
    const names = new EndpointNames(env.name, modelName)
    const template = await this.#template(env, names, modelName, version)
    return { env, api, names, objects: new OwnedObjects(api, names), template, input: { env, names, wharfVersion: this.#o.wharfVersion, pullSecret: this.#pullSecretName(env, names) } }
  }

  /** The image of the endpoint's versions: the environment's, or Wharf's own build pushed to its registry. */
  async #template(env: KubernetesEnvironment, names: EndpointNames, modelName: string, version: string | undefined): Promise<string> {
    if (env.image) return env.image
    if (!env.registry) throw new MlflowError('INVALID_STATE', `environment '${env.name}' (kubernetes) needs an image or a registry to push Wharf's images to; set one in wharf.yaml`)
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

  #sharedObjects(input: EndpointInput, keyDigests: readonly string[], withPullSecret: boolean): Manifest[] {
    const { env } = input
    const pull = withPullSecret && env.registry && !env.imagePullSecret && this.#o.registryCredentials
      ? buildPullSecret(input, env.registry.split('/')[0]!, this.#o.registryCredentials.username, this.#o.registryCredentials.password)
      : undefined
    return [
      env.authMode === 'key' ? buildKeysSecret(input, keyDigests) : undefined,
      buildConfigSecret(input),
      pull,
      buildDisruptionBudget(input, 'serve'),
      buildDisruptionBudget(input, 'router'),
      buildEndpointService(input),
      buildIngress(input),
    ].filter((m): m is Manifest => m !== undefined)
  }

  /** Replicas each version needs under `traffic`: the live one all, others their share (at least one). */
  async #replicaPlan(scope: Scope, before: Traffic, after: Traffic): Promise<Map<string, number>> {
    const { env, api, names } = scope
    const live = liveVersionOf(after)
    let total = env.replicas
    if (env.autoscaling) {
      // The autoscaler's current count on the version it follows now (or its minimum on a first deploy).
      const followed = liveVersionOf(before)
      const current = followed ? replicasOf(await api.read(deploymentRef(env.namespace, names.version(followed)))) : 0
      total = Math.min(Math.max(current, env.autoscaling.minReplicas), Math.max(env.autoscaling.maxReplicas, env.autoscaling.minReplicas))
    }
    const plan = new Map<string, number>()
    for (const [version, weight] of Object.entries(after.weights)) {
      if (weight > 0) plan.set(version, version === live ? total : Math.max(1, Math.ceil((total * weight) / 100)))
    }
    if (after.shadow) plan.set(after.shadow.version, Math.max(1, Math.ceil((total * after.shadow.percent) / 100)))
    return plan
  }

  /** Applies the deployed version, raises every version to what it will need, and waits until all are ready. */
  async #bringUp(scope: Scope, request: KubernetesRollRequest, undo: Undo, applied: string[]): Promise<void> {
    const { env, api, names, objects } = scope
    const plan = await this.#replicaPlan(scope, request.before, request.after)
    if (request.version !== undefined && !plan.has(request.version)) plan.set(request.version, 1)
    const sinceMs = Date.now()
    const watched: string[] = []
    for (const [version, replicas] of plan) {
      const name = names.version(version)
      const existing = await objects.read(deploymentRef(env.namespace, name))
      if (version === request.version || !existing) {
        if (!existing && version !== request.version) throw new MlflowError('INVALID_STATE', `version ${version} is not running in '${env.name}'; deploy it first`)
        const manifest = buildVersionDeployment(scope.input, version, scope.template)
        if (existing) undo.replacedTemplates.push([manifest, (existing.spec as any)?.template])
        else undo.created.push(name)
        const after = await api.apply(manifest)
        await objects.apply(buildVersionService(scope.input, version))
        applied.push(`Deployment/${name}`, `Service/${name}`)
        if ((after.metadata.generation ?? 0) !== (existing?.metadata.generation ?? -1)) watched.push(name)
      }
      const current = replicasOf(await api.read(deploymentRef(env.namespace, name)))
      if (current < replicas) {
        if (existing) undo.scaled.push([name, current])
        await api.scale(env.namespace, name, replicas)
        if (!watched.includes(name)) watched.push(name)
      }
    }
    const timeoutMs = env.rolloutTimeoutSeconds * 1000
    const results = await Promise.all(watched.map(async (name) => ({
      name,
      status: await watchRollout(api, { namespace: env.namespace, name, timeoutMs, sinceMs, pollMs: this.#o.pollMs, podSelector: `${names.selector},app.kubernetes.io/component=serve,wharf.io/model-version=${name.slice(names.base.length + 2)}` }),
    })))
    const failed = results.find((r) => r.status.state !== 'ready')
    if (failed) throw new MlflowError('INVALID_STATE', `rollout of ${names.modelName} version ${failed.name.slice(names.base.length + 2)} in '${env.name}' failed: ${failed.status.message}`)
  }

  async #undo(scope: Scope, undo: Undo): Promise<void> {
    const { env, api } = scope
    for (const name of undo.created) {
      await api.delete(deploymentRef(env.namespace, name)).catch(() => {})
      await api.delete(serviceRef(env.namespace, name)).catch(() => {})
    }
    for (const [manifest, template] of undo.replacedTemplates) {
      if (template) await api.apply({ ...manifest, spec: { ...manifest.spec, template } }).catch(() => {})
    }
    for (const [name, replicas] of undo.scaled) await api.scale(env.namespace, name, replicas).catch(() => {})
  }

  /** Rolls the router to the new traffic and waits until every router pod (old ones draining too) has it. */
  async #switchRouter(scope: Scope, after: Traffic, undo: Undo, sinceMs: number, applied: string[]): Promise<void> {
    const { env, api, names, objects } = scope
    const live = liveVersionOf(after)
    if (!live) throw new MlflowError('INVALID_STATE', 'no version would take traffic')
    const config = await this.#routeConfig(scope, after)
    const existing = await objects.read(deploymentRef(env.namespace, names.router))
    // Shadow comparisons are in the logs of the router pods about to be replaced.
    if (existing) await this.#harvest.collect(api, env, names).catch(() => {})
    const manifest = buildRouterDeployment(scope.input, imageOf(scope.template, names, live), config)
    await api.apply(manifest)
    if (replicasOf(await api.read(deploymentRef(env.namespace, names.router))) !== env.routerReplicas) await api.scale(env.namespace, names.router, env.routerReplicas)
    applied.push(`Deployment/${names.router}`)
    const status = await watchRollout(api, {
      namespace: env.namespace, name: names.router, timeoutMs: env.rolloutTimeoutSeconds * 1000, sinceMs, pollMs: this.#o.pollMs, podSelector: `${names.selector},app.kubernetes.io/component=router`,
    })
    if (status.state !== 'ready') {
      if (existing) await api.apply({ ...manifest, spec: { ...manifest.spec, template: (existing.spec as any).template } }).catch(() => {})
      else await api.delete(deploymentRef(env.namespace, names.router)).catch(() => {})
      await this.#undo(scope, undo)
      throw new MlflowError('INVALID_STATE', `the router of ${names.modelName} in '${env.name}' did not roll out: ${status.message}; rolled back: the endpoint serves as before`)
    }
    await this.#waitRouterPods(scope, routeConfigHash(config))
  }

  async #routeConfig(scope: Scope, traffic: Traffic): Promise<RouteConfig> {
    const { env, api, names } = scope
    const address = async (version: string) => {
      const service = await api.read(serviceRef(env.namespace, names.version(version)))
      const ip = (service?.spec as { clusterIP?: string } | undefined)?.clusterIP
      if (!ip || ip === 'None') throw new MlflowError('INVALID_STATE', `Service ${env.namespace}/${names.version(version)} has no cluster IP`)
      return { version, host: ip, port: servePort }
    }
    const targets = await Promise.all(Object.entries(traffic.weights).filter(([, w]) => w > 0).map(async ([v, weight]) => ({ ...(await address(v)), weight })))
    const shadow = traffic.shadow ? { ...(await address(traffic.shadow.version)), percent: traffic.shadow.percent } : undefined
    return { targets, ...(shadow ? { shadow } : {}) }
  }

  /** Old router pods keep serving their connections while they drain; old versions must outlive them. */
  async #waitRouterPods(scope: Scope, hash: string): Promise<void> {
    const { env, api, names } = scope
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const pods = await api.list('v1', 'Pod', env.namespace, `${names.selector},app.kubernetes.io/component=router`)
      if (pods.every((p) => p.metadata.labels?.['wharf.io/traffic'] === hash)) return
      await new Promise((resolve) => setTimeout(resolve, this.#o.pollMs ?? 1000))
    }
  }

  /** After the switch: the autoscaler follows the live version; the previous live one stays as a one-pod standby; the rest go. */
  async #retire(scope: Scope, before: Traffic, after: Traffic): Promise<void> {
    const { env, api, names, objects } = scope
    const live = liveVersionOf(after)!
    const hpa = buildAutoscaler(scope.input, live)
    if (hpa) await objects.apply(hpa)
    else await objects.delete({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: env.namespace, name: names.base })
    const plan = await this.#replicaPlan(scope, after, after)
    const previous = liveVersionOf(before)
    for (const d of await objects.list('apps/v1', 'Deployment', env.namespace, 'serve')) {
      const version = versionOf(d)
      if (version === undefined) continue
      const wanted = plan.get(version) ?? (version === previous ? 1 : 0)
      if (wanted === 0) {
        await api.delete(deploymentRef(env.namespace, d.metadata.name))
        await api.delete(serviceRef(env.namespace, d.metadata.name))
      } else if (replicasOf(d) > wanted && !(version === live && env.autoscaling)) {
        await api.scale(env.namespace, d.metadata.name, wanted)
      }
    }
  }
}
