import { createHash } from 'node:crypto'
import { invalidParameter, MlflowError, notFound } from '../errors.js'
import type { RegistryService } from '../registry/index.js'
import { maxAgreementWindowMs } from './agreement.js'
import { rollbackTarget } from './deploy-history.js'
import { EndpointPool, type EndpointPoolOptions } from './endpoint-pool.js'
import { type DeployAction, type DeployChange, type Endpoint, liveVersionOf, type Traffic } from './entities.js'
import type { Environment } from './environments.js'
import { nextTraffic, validPercent, validWeights } from './traffic-plan.js'
import { describeEndpoint, type EndpointStatus } from './endpoint-status.js'
import type { KubernetesDeployer } from './kubernetes/kubernetes-deployer.js'
import { HarvestLoop } from './kubernetes/harvest-loop.js'
import { captureRateOf } from './monitoring-settings.js'
import { EndpointKeys, type RevealedKeys } from './endpoint-keys.js'
import { httpMetricsSources, type MetricsSource } from './metrics-source.js'
import type { KeySlot } from './entities.js'
import { type NamedLocks, ProcessLocks } from '../store/named-locks.js'

export interface ControlPlaneOptions extends EndpointPoolOptions {
  readonly registry: RegistryService
  readonly kubernetes?: KubernetesDeployer
  /** Secret the endpoint keys are derived from (at least 16 bytes; see endpoint-keys.ts). */
  readonly keySecret: Buffer
  /**
   * Serializes Kubernetes changes per endpoint. Any replica may drive one, so on a shared database
   * these are database locks (open-backends.ts); default: this process's own queues.
   */
  readonly locks?: NamedLocks | undefined
  /** How often the routers' logs of monitored Kubernetes endpoints are harvested (default 5 s). */
  readonly harvestIntervalMs?: number | undefined
}

export interface DeployRequest {
  readonly modelName: string
  readonly environment: string
  readonly version?: string | undefined
  readonly alias?: string | undefined
  /** Percent of traffic for this version beside the live one (blue/green); the rest stays live. */
  readonly weight?: number | undefined
  /** Deploy as shadow challenger receiving a copy of this percent of requests. */
  readonly shadowPercent?: number | undefined
  readonly actor: string
}

export interface TrafficRequest {
  readonly modelName: string
  readonly environment: string
  readonly weights?: Readonly<Record<string, number>> | undefined
  /** 0 removes the shadow. */
  readonly shadowPercent?: number | undefined
  readonly actor: string
}

/** The lock name of one endpoint's Kubernetes changes: JSON keeps any two (environment, model) pairs apart. */
export const kubernetesLockName = (environment: string, modelName: string) => `deploy:${JSON.stringify([environment, modelName])}`

/** The traffic a `wharf traffic` change asks for, among running versions (same rules on every target). */
function nextWeights(current: Traffic, request: TrafficRequest, running: ReadonlySet<string>): Traffic {
  const weights = request.weights ? validWeights(request.weights, running) : current.weights
  let shadow = current.shadow
  if (request.shadowPercent !== undefined) {
    if (request.shadowPercent === 0) shadow = undefined
    else if (!shadow) throw invalidParameter('no shadow version is deployed; deploy one with a shadow percentage first')
    else shadow = { ...shadow, percent: validPercent(request.shadowPercent, 'shadow_percent') }
  }
  if (shadow && (weights[shadow.version] ?? 0) > 0) shadow = undefined
  return { weights, shadow }
}

/**
 * The deployment control plane inside `wharf server`: keeps each endpoint's desired state in the
 * store, runs its versions through a runner under supervisors, routes traffic between them, and
 * reconciles all of it after a restart. Changes run one at a time per endpoint and switch traffic
 * only to ready instances, draining the old ones before stopping them.
 */
export class ControlPlane {
  readonly #options: ControlPlaneOptions
  readonly #endpoints: EndpointPool
  readonly #keys: EndpointKeys
  /** Kubernetes changes run one at a time per endpoint, across replicas, as local ones do through their runtime. */
  readonly #locks: NamedLocks
  #harvestLoop: HarvestLoop | undefined
  #isStarted = false

  constructor(options: ControlPlaneOptions) {
    this.#options = options
    this.#endpoints = new EndpointPool(options)
    this.#keys = new EndpointKeys(options.keySecret, options.store)
    this.#locks = options.locks ?? new ProcessLocks()
  }

  get environments(): ReadonlyMap<string, Environment> {
    return this.#options.environments
  }

  /** Finds the stored endpoints again: opens their routers, adopts live instances, restarts the rest. */
  async start(): Promise<void> {
    for (const endpoint of await this.#options.store.listEndpoints()) {
      if (endpoint.target === 'kubernetes') continue
      try {
        await this.#endpoints.get(endpoint.environment, endpoint.modelName)
      } catch (err) {
        this.#options.logger?.error({ err, environment: endpoint.environment, model: endpoint.modelName }, 'could not restore endpoint')
      }
    }
    this.#startHarvest()
    this.#isStarted = true
  }

  /** Kubernetes routers log their sampled predictions in the cluster; monitoring needs them here. */
  #startHarvest(): void {
    const kubernetes = this.#options.kubernetes
    const isMonitored = (env: Environment | undefined) => env?.target === 'kubernetes' && captureRateOf(env.monitoring) > 0
    if (!kubernetes || ![...this.#options.environments.values()].some(isMonitored)) return
    this.#harvestLoop = new HarvestLoop({
      endpoints: async () =>
        (await this.#options.store.listEndpoints()).filter((e) => e.target === 'kubernetes' && isMonitored(this.#options.environments.get(e.environment))),
      harvest: (environment, modelName) => kubernetes.harvest(this.#environment(environment), modelName),
      intervalMs: this.#options.harvestIntervalMs ?? 5000,
      logger: this.#options.logger,
    })
    this.#harvestLoop.start()
  }

  /** Stops supervising and routing; serving instances keep running for the next start to adopt. */
  async close(): Promise<void> {
    this.#isStarted = false
    await this.#harvestLoop?.stop()
    await this.#endpoints.closeAll()
    await this.#options.kubernetes?.close()
  }

  async deploy(
    request: DeployRequest,
    action: DeployAction = 'deploy',
    extra: Record<string, unknown> = {},
  ): Promise<{ change: DeployChange; endpoint: EndpointStatus }> {
    const env = this.#environment(request.environment)
    const version = await this.#resolveVersion(request.modelName, request.version, request.alias)
    if (env.target === 'kubernetes') {
      const kubernetes = this.#kubernetes()
      return this.#serializeKube(env.name, request.modelName, async () => {
        const endpoint = await this.#options.store.getEndpoint(env.name, request.modelName)
        const before = endpoint?.traffic ?? { weights: {} }
        const live = liveVersionOf(before)
        const after = nextTraffic(before, version, live, request)
        const { applied } = await kubernetes.roll({
          env,
          modelName: request.modelName,
          before,
          after,
          version,
          ...(await this.#podKeys(env, request.modelName)),
        })
        const saved = await this.#options.store.putEndpoint(
          { environment: env.name, modelName: request.modelName, target: 'kubernetes', routerPort: undefined, traffic: after },
          this.#now(),
        )
        const change = await this.#record(action, request.actor, saved, live, liveVersionOf(after), { version, traffic: after, applied, ...extra })
        return { change, endpoint: await this.#status(env.name, request.modelName) }
      })
    }
    this.#assertStarted()
    const runtime = await this.#endpoints.get(env.name, request.modelName, env)
    return runtime.serialize(async () => {
      const endpoint = (await this.#options.store.getEndpoint(env.name, request.modelName))!
      const before = endpoint.traffic
      const live = liveVersionOf(before)
      const traffic = nextTraffic(before, version, live, request)
      if (env.authMode === 'key')
        await this.#endpoints.writeKeys(env.name, request.modelName, await this.#keys.ensure(env.name, request.modelName, this.#now()))
      await this.#endpoints.ensureInstance(runtime, env, request.modelName, version)
      await this.#endpoints.switchTraffic(runtime, endpoint, traffic, live)
      const change = await this.#record(action, request.actor, endpoint, live, liveVersionOf(traffic), { version, traffic, ...extra })
      return { change, endpoint: await this.#status(endpoint.environment, endpoint.modelName) }
    })
  }

  /**
   * Rolls `to` to the version live in `from`, then moves `alias` to it: the alias names a version
   * only once it serves there, so a failed rollout leaves both the endpoint and the alias as they were.
   */
  async promote(request: { modelName: string; from: string; to: string; alias?: string | undefined; actor: string }) {
    const source = await this.#options.store.getEndpoint(this.#environment(request.from).name, request.modelName)
    const version = source && liveVersionOf(source.traffic)
    if (!version) throw notFound(`model '${request.modelName}' is not deployed in environment '${request.from}'`)
    const alias = request.alias ?? 'production'
    const outcome = await this.deploy({ modelName: request.modelName, environment: request.to, version, actor: request.actor }, 'promote', {
      fromEnvironment: request.from,
      alias,
    })
    await this.#options.registry.setAlias(request.modelName, alias, version, request.actor)
    return outcome
  }

  /** The Kubernetes objects a deploy would apply, without applying or recording anything. */
  async render(request: { modelName: string; environment: string; version?: string | undefined; alias?: string | undefined }) {
    const env = this.#environment(request.environment)
    if (env.target !== 'kubernetes') throw invalidParameter(`--dry-run renders Kubernetes manifests; environment '${env.name}' has the ${env.target} target`)
    const version = await this.#resolveVersion(request.modelName, request.version, request.alias)
    return this.#kubernetes().render(env, request.modelName, version)
  }

  /**
   * Goes back to the version that was live before the current one. An alias a promote moved to the
   * current version (production) moves back with it, so it keeps naming what the environment serves.
   */
  async rollback(request: { modelName: string; environment: string; actor: string }) {
    const env = this.#environment(request.environment)
    const changes = await this.#options.store.listChanges({ environment: env.name, modelName: request.modelName })
    const version = rollbackTarget(changes)
    if (!version) throw new MlflowError('INVALID_STATE', `model '${request.modelName}' has no earlier version in environment '${env.name}' to roll back to`)
    const current = changes.at(-1)?.toVersion
    const promoted = [...changes].reverse().find((c) => c.action === 'promote' && typeof c.data.alias === 'string')
    const alias = promoted && promoted.toVersion === current ? (promoted.data.alias as string) : undefined
    const outcome = await this.deploy(
      { modelName: request.modelName, environment: env.name, version, actor: request.actor },
      'rollback',
      alias ? { alias } : {},
    )
    if (alias && (await this.#aliasTarget(request.modelName, alias)) === current)
      await this.#options.registry.setAlias(request.modelName, alias, version, request.actor)
    return outcome
  }

  /** Changes weights and the shadow share among running versions, without restarting any. */
  async setTraffic(request: TrafficRequest) {
    const env = this.#environment(request.environment)
    const endpoint = await this.#endpoint(env.name, request.modelName)
    if (endpoint.target === 'kubernetes') {
      const kubernetes = this.#kubernetes()
      return this.#serializeKube(env.name, request.modelName, async () => {
        const current = (await this.#options.store.getEndpoint(env.name, request.modelName))!
        const traffic = nextWeights(current.traffic, request, new Set(await kubernetes.runningVersions(env, request.modelName)))
        const keys = await this.#podKeys(env, request.modelName)
        const { applied } = await kubernetes.roll({ env, modelName: request.modelName, before: current.traffic, after: traffic, ...keys })
        await this.#options.store.setTraffic(env.name, request.modelName, traffic, this.#now())
        const change = await this.#record('traffic', request.actor, current, liveVersionOf(current.traffic), liveVersionOf(traffic), { traffic, applied })
        return { change, endpoint: await this.#status(env.name, request.modelName) }
      })
    }
    this.#assertStarted()
    const runtime = await this.#endpoints.get(env.name, request.modelName)
    return runtime.serialize(async () => {
      const current = (await this.#options.store.getEndpoint(env.name, request.modelName))!
      const running = new Set((await this.#options.store.listInstances(env.name, request.modelName)).map((i) => i.version))
      const traffic = nextWeights(current.traffic, request, running)
      const live = liveVersionOf(current.traffic)
      await this.#endpoints.switchTraffic(runtime, current, traffic, live)
      const change = await this.#record('traffic', request.actor, current, live, liveVersionOf(traffic), { traffic })
      return { change, endpoint: await this.#status(env.name, request.modelName) }
    })
  }

  /** Stops every version of the endpoint and forgets it. */
  async undeploy(request: { modelName: string; environment: string; actor: string }): Promise<{ change: DeployChange }> {
    const endpoint = await this.#endpoint(request.environment, request.modelName)
    if (endpoint.target === 'kubernetes') {
      const env = this.#environment(request.environment)
      await this.#serializeKube(endpoint.environment, endpoint.modelName, () => this.#kubernetes().undeploy({ env, modelName: request.modelName }))
    } else {
      const runtime = await this.#endpoints.get(request.environment, request.modelName)
      await runtime.serialize(async () => {
        await Promise.all([...runtime.supervisors.values()].map((s) => s.stop(2000)))
        await runtime.close()
      })
      this.#endpoints.forget(request.environment, request.modelName)
      await this.#endpoints.forgetGrpcPorts(request.environment, request.modelName)
    }
    await this.#options.store.deleteEndpoint(endpoint.environment, endpoint.modelName)
    await this.#keys.forget(endpoint.environment, endpoint.modelName)
    return { change: await this.#record('undeploy', request.actor, endpoint, liveVersionOf(endpoint.traffic), undefined, {}) }
  }

  async list(environment?: string): Promise<EndpointStatus[]> {
    if (environment !== undefined) this.#environment(environment)
    const endpoints = await this.#options.store.listEndpoints(environment)
    return Promise.all(endpoints.map((e) => this.#status(e.environment, e.modelName)))
  }

  async history(query: { environment?: string | undefined; modelName?: string | undefined; limit?: number | undefined }): Promise<DeployChange[]> {
    return this.#options.store.listChanges(query)
  }

  /** Agreement of each live/shadow pair since it was deployed, or over the requests of the last `windowMs`. */
  async agreement(environment: string, modelName: string, windowMs?: number) {
    if (windowMs !== undefined && !(windowMs > 0 && windowMs <= maxAgreementWindowMs))
      throw invalidParameter(`the agreement window must be more than 0 and at most ${maxAgreementWindowMs / 1000} seconds`)
    const endpoint = await this.#endpoint(environment, modelName)
    const since = windowMs === undefined ? undefined : this.#now() - windowMs
    if (endpoint.target === 'kubernetes') return this.#kubernetes().agreement(this.#environment(environment), modelName, since)
    const runtime = this.#endpoints.peek(environment, modelName)
    return runtime ? runtime.shadowLog.reports(since) : []
  }

  async logs(query: { environment: string; modelName: string; version: string; maxLines: number }): Promise<string> {
    const env = this.#environment(query.environment)
    const instance = (await this.#options.store.listInstances(env.name, query.modelName)).find((i) => i.version === query.version)
    const spec = this.#endpoints.specFor(
      env.name,
      query.modelName,
      query.version,
      instance?.modelUri ?? '',
      instance?.port ?? 0,
      instance?.instanceId ?? '',
      instance?.image,
    )
    return this.#options.runnerFor(env).readLog(spec, instance && { pid: instance.pid, containerName: instance.containerName }, query.maxLines)
  }

  async #status(environment: string, modelName: string): Promise<EndpointStatus> {
    const endpoint = await this.#endpoint(environment, modelName)
    const instances = await this.#options.store.listInstances(environment, modelName)
    const changes = await this.#options.store.listChanges({ environment, modelName, limit: 200 })
    const runtime = this.#endpoints.peek(environment, modelName)
    const host = this.#options.routerHost ?? '127.0.0.1'
    const described = describeEndpoint(endpoint, instances, changes, (id) => runtime?.supervisors.get(id)?.status(), host)
    const base = runtime?.grpc ? { ...described, grpcUrl: `${host}:${runtime.grpc.port}` } : described
    const env = this.#options.environments.get(environment)
    return endpoint.target === 'kubernetes' && env && this.#options.kubernetes ? this.#options.kubernetes.describe(env, endpoint, base) : base
  }

  /**
   * Where the endpoint's instances' /metrics pages are, each with the credential it takes: local and
   * container instances over HTTP with the control plane's scrape key (EndpointPool.scrapeKey),
   * Kubernetes pods through the API server's pod proxy with the endpoint's metrics key.
   */
  async metricsSources(endpoint: EndpointStatus): Promise<MetricsSource[]> {
    const env = this.#options.environments.get(endpoint.environment)
    if (endpoint.target !== 'kubernetes') return httpMetricsSources(endpoint, `Bearer ${await this.#endpoints.scrapeKey()}`)
    if (!env || !this.#options.kubernetes) return []
    const roles = new Map(endpoint.instances.map((i) => [i.version, i.role]))
    return this.#options.kubernetes.metricsSources(env, endpoint.modelName, roles, this.#keys.metricsKey(env.name, endpoint.modelName))
  }

  /** What a Kubernetes endpoint's keys Secret holds: the endpoint keys' digests and the metrics key's (authMode key only). */
  async #podKeys(env: Environment, modelName: string): Promise<{ keyDigests: string[]; metricsDigest?: string | undefined }> {
    if (env.authMode !== 'key') return { keyDigests: [] }
    return { keyDigests: await this.#keys.ensure(env.name, modelName, this.#now()), metricsDigest: this.#metricsDigest(env.name, modelName) }
  }

  #metricsDigest(environment: string, modelName: string): string {
    return createHash('sha256').update(this.#keys.metricsKey(environment, modelName)).digest('hex')
  }

  /** The endpoint's keys (primary, secondary), for a client that may use them. */
  async endpointKeys(environment: string, modelName: string): Promise<RevealedKeys> {
    await this.#endpoint(this.#environment(environment).name, modelName)
    return this.#keys.reveal(environment, modelName)
  }

  /** A new key in one slot; the endpoint's servers accept it (and stop accepting the old one) within seconds. */
  async regenerateKey(request: { environment: string; modelName: string; slot: KeySlot; actor: string }): Promise<RevealedKeys> {
    const env = this.#environment(request.environment)
    const endpoint = await this.#endpoint(env.name, request.modelName)
    if (env.authMode !== 'key') throw invalidParameter(`environment '${env.name}' has authMode: none; its endpoints take no keys`)
    const digests = await this.#keys.regenerate(env.name, request.modelName, request.slot, this.#now())
    if (endpoint.target === 'kubernetes') await this.#kubernetes().applyKeys(env, request.modelName, digests, this.#metricsDigest(env.name, request.modelName))
    else await this.#endpoints.writeKeys(env.name, request.modelName, digests)
    this.#options.logger?.info({ environment: env.name, model: request.modelName, slot: request.slot, actor: request.actor }, 'endpoint key regenerated')
    return this.#keys.reveal(env.name, request.modelName)
  }

  #kubernetes(): KubernetesDeployer {
    if (!this.#options.kubernetes) throw new MlflowError('INVALID_STATE', 'the kubernetes target is not available in this server')
    return this.#options.kubernetes
  }

  /**
   * A second change of the same endpoint waits for the first to finish, whichever replica drives
   * either, and then starts from the state the first recorded (each operation reads it inside).
   */
  #serializeKube<T>(environment: string, modelName: string, operation: () => Promise<T>): Promise<T> {
    return this.#locks.withLock(kubernetesLockName(environment, modelName), operation)
  }

  async #aliasTarget(modelName: string, alias: string): Promise<string | undefined> {
    try {
      return String((await this.#options.registry.getVersionByAlias(modelName, alias)).version)
    } catch {
      return undefined
    }
  }

  async #resolveVersion(modelName: string, version: string | undefined, alias: string | undefined): Promise<string> {
    if ((version === undefined) === (alias === undefined)) throw invalidParameter('give exactly one of version and alias')
    const found =
      version !== undefined
        ? await this.#options.registry.getModelVersion(modelName, version)
        : await this.#options.registry.getVersionByAlias(modelName, alias!)
    return String(found.version)
  }

  #environment(name: string): Environment {
    const env = this.#options.environments.get(name)
    if (!env)
      throw notFound(
        `environment '${name}' is not defined (known: ${[...this.#options.environments.keys()].join(', ') || 'none'}); declare it under environments: in wharf.yaml`,
      )
    return env
  }

  async #endpoint(environment: string, modelName: string): Promise<Endpoint> {
    const endpoint = await this.#options.store.getEndpoint(environment, modelName)
    if (!endpoint) throw notFound(`model '${modelName}' is not deployed in environment '${environment}'`)
    return endpoint
  }

  #record(
    action: DeployAction,
    actor: string,
    endpoint: Endpoint,
    fromVersion: string | undefined,
    toVersion: string | undefined,
    data: Record<string, unknown>,
  ) {
    return this.#options.store.recordChange({
      time: this.#now(),
      actor,
      action,
      environment: endpoint.environment,
      modelName: endpoint.modelName,
      fromVersion,
      toVersion,
      data,
    })
  }

  #assertStarted(): void {
    if (!this.#isStarted) throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'the deployment control plane is starting; try again')
  }

  #now(): number {
    return (this.#options.now ?? Date.now)()
  }
}
