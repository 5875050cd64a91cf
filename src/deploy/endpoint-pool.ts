import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { chown, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../logger.js'
import { invalidParameter, MlflowError, notFound } from '../errors.js'
import type { DeploymentStore } from '../store/deployment-store.js'
import { EndpointRuntime } from './endpoint-runtime.js'
import type { Endpoint, Instance, Traffic } from './entities.js'
import { type Environment, servesGrpc } from './environments.js'
import { GrpcPassThrough } from './grpc-pass-through.js'
import { type GrpcPorts, readGrpcPorts, removeGrpcPorts, writeGrpcPorts } from './grpc-ports.js'
import { findFreePort } from '../http/free-port.js'
import { TrafficRouter } from './router.js'
import type { PredictionTapFor } from './prediction-tap.js'
import type { Runner, RunSpec } from './runner.js'
import { ShadowLog } from './shadow-log.js'
import { serveUid } from './container/base-image.js'
import { keysFileText } from './endpoint-keys.js'
import { Supervisor, type SupervisorOptions } from './supervisor.js'

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_')
const endpointKey = (environment: string, modelName: string) => `${environment}\u0000${modelName}`

export interface EndpointPoolOptions {
  readonly store: DeploymentStore
  readonly environments: ReadonlyMap<string, Environment>
  /** Logs and shadow logs go under this folder. */
  readonly deployDir: string
  /** The runner for an environment's target (local or container). */
  readonly runnerFor: (env: Environment) => Runner
  /** Builds (or finds) the serving image of a version, for the container target. */
  readonly imageFor?: (modelName: string, version: string, env: Environment) => Promise<string>
  readonly routerHost?: string
  /** What endpoint routers accept besides their own names and localhost origins, and their body limit. */
  readonly routerGuard?: { readonly allowedHosts: readonly string[]; readonly allowedOrigins: readonly string[]; readonly maxBodyBytes: number }
  readonly readyTimeoutMs?: number
  /** Prediction logging and drift for endpoints whose environment asks for them (monitor/). */
  readonly predictionTapFor?: PredictionTapFor | undefined
  readonly drainTimeoutMs?: number
  readonly supervisor?: SupervisorOptions
  readonly logger?: Logger
  readonly now?: () => number
}

/**
 * The control plane's endpoints in memory: each one's router, shadow log and supervised
 * instances. Opens an endpoint on first use (creating its stored record, or restoring it after a
 * restart by adopting live instances), starts instances and waits until they are ready, and
 * switches traffic, draining and stopping what no longer takes any.
 */
export class EndpointPool {
  readonly #options: EndpointPoolOptions
  readonly #runtimes = new Map<string, EndpointRuntime>()
  readonly #opening = new Map<string, Promise<EndpointRuntime>>()
  #scrapeKey: Promise<string> | undefined

  constructor(options: EndpointPoolOptions) {
    this.#options = options
  }

  /** The endpoint's runtime if it is open. */
  peek(environment: string, modelName: string): EndpointRuntime | undefined {
    return this.#runtimes.get(endpointKey(environment, modelName))
  }

  forget(environment: string, modelName: string): void {
    this.#runtimes.delete(endpointKey(environment, modelName))
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#runtimes.values()].map((r) => r.close()))
    this.#runtimes.clear()
  }

  async switchTraffic(runtime: EndpointRuntime, endpoint: Endpoint, traffic: Traffic, previousLive: string | undefined): Promise<void> {
    const instances = await this.#options.store.listInstances(endpoint.environment, endpoint.modelName)
    await this.#options.store.setTraffic(endpoint.environment, endpoint.modelName, traffic, (this.#options.now ?? Date.now)())
    runtime.applyTraffic(traffic, instances)
    // Keep what takes traffic, the shadow, and the previous live version as a warm standby for a rollback.
    const keep = new Set(
      Object.entries(traffic.weights)
        .filter(([, w]) => w > 0)
        .map(([v]) => v),
    )
    if (traffic.shadow) keep.add(traffic.shadow.version)
    if (previousLive !== undefined) keep.add(previousLive)
    for (const instance of instances) {
      if (keep.has(instance.version)) continue
      await runtime.router.drain(instance.port, this.#options.drainTimeoutMs ?? 30_000)
      await runtime.supervisors.get(instance.instanceId)?.stop()
      runtime.supervisors.delete(instance.instanceId)
      await this.#options.store.deleteInstance(instance.instanceId)
      if (runtime.grpc?.ports.instances.delete(instance.instanceId)) await writeGrpcPorts(runtime.grpc.file, runtime.grpc.ports)
    }
  }

  async ensureInstance(runtime: EndpointRuntime, env: Environment, modelName: string, version: string): Promise<void> {
    const readyMs = this.#options.readyTimeoutMs ?? 120_000
    const existing = (await this.#options.store.listInstances(env.name, modelName)).find((i) => i.version === version)
    if (existing) return runtime.supervisors.get(existing.instanceId)?.waitReady(readyMs)
    const image = env.target === 'container' ? await this.#imageFor(modelName, version, env) : undefined
    const port = await findFreePort()
    const instance: Instance = {
      instanceId: randomUUID().slice(0, 12),
      environment: env.name,
      modelName,
      version,
      modelUri: `models:/${modelName}/${version}`,
      port,
      image,
      startTime: (this.#options.now ?? Date.now)(),
    }
    if (runtime.grpc) {
      runtime.grpc.ports.instances.set(instance.instanceId, await findFreePort())
      await writeGrpcPorts(runtime.grpc.file, runtime.grpc.ports)
    }
    await this.#options.store.putInstance(instance)
    const supervisor = this.#supervise(runtime, env, instance)
    try {
      await supervisor.start()
      await supervisor.waitReady(readyMs)
    } catch (err) {
      await supervisor.stop(1000)
      runtime.supervisors.delete(instance.instanceId)
      await this.#options.store.deleteInstance(instance.instanceId)
      if (runtime.grpc?.ports.instances.delete(instance.instanceId)) await writeGrpcPorts(runtime.grpc.file, runtime.grpc.ports)
      throw new MlflowError('INVALID_STATE', `version ${version} of '${modelName}' did not become ready: ${(err as Error).message}`, { cause: err })
    }
  }

  #supervise(runtime: EndpointRuntime, env: Environment, instance: Instance): Supervisor {
    const spec = this.specFor(
      env.name,
      instance.modelName,
      instance.version,
      instance.modelUri,
      instance.port,
      instance.instanceId,
      instance.image,
      runtime.grpc?.ports.instances.get(instance.instanceId),
    )
    const supervisor = new Supervisor(spec, this.#options.runnerFor(env), {
      ...this.#options.supervisor,
      onHandle: (handle) => this.#options.store.putInstance({ ...instance, pid: handle.pid, containerName: handle.containerName }),
      onEvent: (event, detail) =>
        this.#options.logger?.warn(
          { event, environment: env.name, model: instance.modelName, version: instance.version, ...detail },
          'deployment instance event',
        ),
    })
    runtime.supervisors.set(instance.instanceId, supervisor)
    return supervisor
  }

  specFor(
    environment: string,
    modelName: string,
    version: string,
    modelUri: string,
    port: number,
    instanceId: string,
    image: string | undefined,
    grpcPort?: number,
  ): RunSpec {
    const logFile = join(this.#options.deployDir, 'logs', safeName(environment), safeName(modelName), `v${safeName(version)}.log`)
    const env = this.#options.environments.get(environment)
    const apiKeysFile = env?.authMode === 'key' ? this.#keysFile(environment, modelName) : undefined
    const pyfunc = env?.target === 'local' ? { pythonEnv: env.pythonEnv, allowPickle: env.allowPickle } : {}
    return { instanceId, environment, modelName, version, modelUri, port, grpcPort, logFile, image, apiKeysFile, ...pyfunc }
  }

  #grpcPortsFile(environment: string, modelName: string): string {
    return join(this.#options.deployDir, 'grpc', safeName(environment), `${safeName(modelName)}.json`)
  }

  /** Forgets an undeployed endpoint's gRPC ports. */
  async forgetGrpcPorts(environment: string, modelName: string): Promise<void> {
    await removeGrpcPorts(this.#grpcPortsFile(environment, modelName))
  }

  /**
   * Opens the endpoint's gRPC pass-through: on the environment's `grpcPort`, else on the port it
   * had before a restart when that is still free, else on a new one.
   */
  async #openGrpc(env: Environment, modelName: string): Promise<NonNullable<EndpointRuntime['grpc']>> {
    const file = this.#grpcPortsFile(env.name, modelName)
    const ports: GrpcPorts = await readGrpcPorts(file)
    const fixed = env.target === 'kubernetes' ? undefined : env.grpcPort
    const host = this.#options.routerHost ?? '127.0.0.1'
    // Sampled ModelInfer calls go to monitoring as sampled REST requests do (grpc-pass-through.ts).
    const tap = this.#options.predictionTapFor?.(env.name, modelName)
    let passThrough = new GrpcPassThrough({ host, port: fixed ?? ports.endpointPort ?? 0, tap })
    let port: number
    try {
      port = await passThrough.listen()
    } catch (err) {
      if (fixed !== undefined || ports.endpointPort === undefined) throw err
      passThrough = new GrpcPassThrough({ host, port: 0, tap })
      port = await passThrough.listen()
    }
    ports.endpointPort = port
    await writeGrpcPorts(file, ports)
    return { passThrough, port, ports, file }
  }

  #keysFile(environment: string, modelName: string): string {
    return join(this.#options.deployDir, 'keys', safeName(environment), safeName(modelName), 'keys')
  }

  /**
   * The control plane's own key to its instances' /metrics, which the live traffic view scrapes.
   * Kept in a private file beside the keys files, not in memory only: instances adopted after a
   * restart read the digest written before it, and must still accept the scrape.
   */
  scrapeKey(): Promise<string> {
    this.#scrapeKey ??= (async () => {
      const file = join(this.#options.deployDir, 'keys', 'scrape.key')
      try {
        return (await readFile(file, 'utf8')).trim()
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
      await mkdir(join(file, '..'), { recursive: true, mode: 0o700 })
      const key = randomBytes(32).toString('base64url')
      // 'wx': two control planes on one folder keep the first key written.
      await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err
      })
      return (await readFile(file, 'utf8')).trim()
    })()
    return this.#scrapeKey
  }

  /** Writes the endpoint's key digests where its instances read them (re-read on change: no restart). */
  async writeKeys(environment: string, modelName: string, digests: readonly string[]): Promise<void> {
    const scrapeDigest = createHash('sha256')
      .update(await this.scrapeKey())
      .digest('hex')
    const file = this.#keysFile(environment, modelName)
    const dir = join(file, '..')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // A container reads the folder as the image's user: private to that user, as the rest is to the server's.
    const owner = this.#options.environments.get(environment)?.target === 'container' && process.getuid?.() === 0 ? serveUid : undefined
    // Whole-file replace, so a reader never sees half a file.
    await writeFile(`${file}.tmp`, keysFileText(digests, scrapeDigest), { mode: 0o600 })
    if (owner !== undefined) {
      await chown(`${file}.tmp`, owner, owner)
      await chown(dir, owner, owner)
    }
    await rename(`${file}.tmp`, file)
  }

  /** The endpoint's in-memory runtime, creating the endpoint (and its router) on first use. */
  async get(environment: string, modelName: string, env?: Environment): Promise<EndpointRuntime> {
    const k = endpointKey(environment, modelName)
    const existing = this.#runtimes.get(k)
    if (existing) return existing
    let opening = this.#opening.get(k)
    if (!opening) {
      opening = this.#open(environment, modelName, env).finally(() => this.#opening.delete(k))
      this.#opening.set(k, opening)
    }
    return opening
  }

  async #open(environment: string, modelName: string, env: Environment | undefined): Promise<EndpointRuntime> {
    let endpoint = await this.#options.store.getEndpoint(environment, modelName)
    let isNew = false
    if (!endpoint) {
      if (!env) throw notFound(`model '${modelName}' is not deployed in environment '${environment}'`)
      const fixedPort = env.target === 'kubernetes' ? undefined : env.port
      if (fixedPort !== undefined) {
        const taken = (await this.#options.store.listEndpoints(environment)).find((e) => e.routerPort === fixedPort)
        if (taken) throw invalidParameter(`environment '${environment}' has the fixed port ${fixedPort}, already used by model '${taken.modelName}'`)
      }
      // A fixed gRPC port, like a fixed router port, serves one model per environment.
      const fixedGrpcPort = env.target === 'kubernetes' ? undefined : env.grpcPort
      if (fixedGrpcPort !== undefined) {
        const taken = (await this.#options.store.listEndpoints(environment))[0]
        if (taken) throw invalidParameter(`environment '${environment}' has the fixed gRPC port ${fixedGrpcPort}, already used by model '${taken.modelName}'`)
      }
      isNew = true
      endpoint = await this.#options.store.putEndpoint(
        { environment, modelName, target: env.target, routerPort: fixedPort ?? (await findFreePort()), traffic: { weights: {} } },
        (this.#options.now ?? Date.now)(),
      )
    }
    const shadowLog = new ShadowLog(join(this.#options.deployDir, 'shadow', safeName(environment), `${safeName(modelName)}.jsonl`))
    await shadowLog.open()
    const router = new TrafficRouter({
      host: this.#options.routerHost ?? '127.0.0.1',
      port: endpoint.routerPort ?? 0,
      shadowLog,
      predictionTap: this.#options.predictionTapFor?.(environment, modelName),
      ...this.#options.routerGuard,
    })
    const routerPort = await router.listen()
    const runEnv: Environment = this.#options.environments.get(environment) ?? {
      name: environment,
      target: endpoint.target === 'container' ? 'container' : 'local',
      authMode: 'key',
      grpc: false,
    }
    let grpc: EndpointRuntime['grpc']
    try {
      grpc = servesGrpc(runEnv) ? await this.#openGrpc(runEnv, modelName) : undefined
    } catch (err) {
      await router.close()
      await shadowLog.close()
      // A deploy that could not open its endpoint leaves nothing behind.
      if (isNew) await this.#options.store.deleteEndpoint(environment, modelName)
      throw invalidParameter(`environment '${environment}': could not open the gRPC port of model '${modelName}': ${(err as Error).message}`, { cause: err })
    }
    const runtime = new EndpointRuntime(router, shadowLog, routerPort, grpc)
    const instances = await this.#options.store.listInstances(environment, modelName)
    await Promise.all(
      instances.map(async (instance) => {
        const outcome = await this.#supervise(runtime, runEnv, instance).start({ pid: instance.pid, containerName: instance.containerName })
        this.#options.logger?.info({ environment, model: modelName, version: instance.version, outcome }, 'deployment instance restored')
      }),
    )
    runtime.applyTraffic(endpoint.traffic, instances)
    this.#runtimes.set(endpointKey(environment, modelName), runtime)
    return runtime
  }

  async #imageFor(modelName: string, version: string, env: Environment): Promise<string> {
    if (!this.#options.imageFor) throw new MlflowError('INVALID_STATE', 'the container target is not available in this server')
    return this.#options.imageFor(modelName, version, env)
  }
}
