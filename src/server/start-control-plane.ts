import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Logger } from '../logger.js'
import { wharfBin } from '../app-paths.js'
import { type Config, readEnvironmentVariables } from '../config.js'
import { ControlPlane, type Environment, LocalRunner, loadEnvironments, type PredictionTapFor, type Runner } from '../deploy/index.js'
import { type AlertQueue, AlertSender, MonitorService, PredictionLog } from '../monitor/index.js'
import type { RegistryService } from '../registry/index.js'
import type { ArtifactStore } from '../store/artifact-store.js'
import type { DeploymentStore } from '../store/deployment-store.js'
import type { NamedLocks } from '../store/named-locks.js'
import { version as wharfVersion } from '../version.js'

export interface StartedControlPlane {
  readonly plane: ControlPlane
  /** Prediction logs, drift and alerts of the endpoints whose environment asks for them. */
  readonly monitor: MonitorService
  /** An alert receiver's signing secret, for the names wharf.yaml gives (`secretEnv`) only. */
  readAlertSecret(name: string): string | undefined
  /** Call once the server listens: serving processes reach the registry at `trackingUri`. */
  start(trackingUri: string): Promise<void>
  close(): Promise<void>
}

export interface ControlPlaneBackends {
  readonly registry: RegistryService
  /** The deployment store open-backends chose for the store URI. */
  readonly store: DeploymentStore
  /** The folder of a file database (see open-backends.ts); deployment logs go beside it by default. */
  readonly dataDir: string | undefined
  /** Where prediction logs go. */
  readonly artifacts: ArtifactStore
  /** Serialize each endpoint's Kubernetes changes across every process on the store. */
  readonly locks: NamedLocks
  /** Where alerts are queued: the registry store's webhook queue. */
  readonly alertQueue: AlertQueue
  /** Tells the webhook dispatcher that an alert was queued. */
  readonly wakeDeliveries: () => void
}

/** Where logs go unless WHARF_DEPLOY_DIR says: `deployments/` beside the SQLite database. */
function deployDirOf(config: Config, dataDir: string | undefined): string {
  if (config.deployDir) return resolve(config.deployDir)
  return dataDir === undefined ? resolve('wharf-data/deployments') : join(dataDir, 'deployments')
}

/**
 * Builds the control plane of `wharf server`: environments from wharf.yaml, desired state in the
 * deployment store, runners per target.
 */
export async function startControlPlane(config: Config, backends: ControlPlaneBackends, logger: Logger): Promise<StartedControlPlane> {
  const { registry, store } = backends
  const environments = await loadEnvironments(config.projectFile)
  const deployDir = deployDirOf(config, backends.dataDir)
  let trackingUri = ''
  const runners = new Map<string, Runner>()
  const runnerFor = (env: Environment): Runner => {
    const kind = env.target === 'container' ? `container:${env.runtime ?? config.containerRuntime ?? ''}` : 'local'
    let runner = runners.get(kind)
    if (!runner) {
      runner = env.target === 'container' ? containerRunner(env.runtime ?? config.containerRuntime) : localRunner()
      runners.set(kind, runner)
    }
    return runner
  }
  const localRunner = () =>
    new LocalRunner({
      command: config.serveCommand ?? [process.execPath, wharfBin, 'serve'],
      env: {
        ...process.env,
        WHARF_TRACKING_URI: trackingUri,
        ...(config.authToken ? { WHARF_TRACKING_TOKEN: config.authToken } : {}),
        WHARF_SERVE_MODEL_CACHE_DIR: join(deployDir, 'model-cache'),
      },
    })
  const { containerRunner, imageBuilder } = await loadContainerSupport(deployDir, () => trackingUri, config, logger)
  const kubernetes = [...environments.values()].some((e) => e.target === 'kubernetes')
    ? await loadKubernetes(deployDir, imageBuilder, config, (environment, model) => monitor.tapFor(environment, model))
    : undefined
  const monitor: MonitorService = new MonitorService({
    environments,
    registry,
    artifacts: backends.artifacts,
    predictionLog: new PredictionLog(backends.artifacts, { logger }),
    // Queued in the store and sent by the server's webhook dispatcher, so they survive a restart.
    alerts: new AlertSender({ queue: backends.alertQueue, wake: backends.wakeDeliveries, logger }),
    // Called on scrapes, once the plane below exists.
    listEndpoints: () => plane.list(),
    metricsSources: (endpoint) => plane.metricsSources(endpoint),
    logger,
  })
  const plane: ControlPlane = new ControlPlane({
    store,
    registry,
    environments,
    deployDir,
    runnerFor,
    logger,
    readyTimeoutMs: config.deployReadyTimeoutMs,
    imageFor: imageBuilder,
    kubernetes,
    locks: backends.locks,
    keySecret: await endpointKeySecret(deployDir, config),
    routerGuard: { allowedHosts: config.allowedHosts, allowedOrigins: config.corsAllowedOrigins, maxBodyBytes: config.serveMaxBodyBytes },
    predictionTapFor: monitor.tapFor,
  })
  // Only the variables wharf.yaml names for alert secrets are read, as for pipeline secrets.
  const alertSecrets = readEnvironmentVariables(alertSecretNames(environments))
  return {
    plane,
    monitor,
    readAlertSecret: (name) => alertSecrets[name],
    start: async (uri) => {
      trackingUri = uri
      await plane.start()
      logger.info({ environments: [...environments.keys()], deploy_dir: deployDir }, 'deployment control plane started')
    },
    close: async () => {
      await plane.close()
      await monitor.close()
    },
  }
}

/** The environment variables that hold the alert webhooks' signing secrets. */
function alertSecretNames(environments: ReadonlyMap<string, Environment>): string[] {
  return [...environments.values()].flatMap((e) => e.monitoring?.alerts?.webhooks.map((w) => w.secretEnv) ?? [])
}

/** The key endpoint keys derive from: WHARF_ENDPOINT_KEY_SECRET, else a random one kept beside the deployments (0600). */
async function endpointKeySecret(deployDir: string, config: Config): Promise<Buffer> {
  if (config.endpointKeySecret) return Buffer.from(config.endpointKeySecret, 'utf8')
  const file = join(deployDir, 'endpoint-keys.secret')
  await mkdir(deployDir, { recursive: true, mode: 0o700 })
  try {
    await writeFile(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  return Buffer.from((await readFile(file, 'utf8')).trim(), 'utf8')
}

/** The kubernetes target, imported only when wharf.yaml has a kubernetes environment. */
async function loadKubernetes(
  deployDir: string,
  imageBuilder: (modelName: string, version: string, env: Environment) => Promise<string>,
  config: Config,
  predictionTapFor: PredictionTapFor,
) {
  const [{ KubernetesTarget }, { pushImage }, { detectRuntime }] = await Promise.all([
    import('../deploy/kubernetes/kubernetes-target.js'),
    import('../deploy/container/push-image.js'),
    import('../deploy/container/container-cli.js'),
  ])
  const credentials = config.registryUsername && config.registryPassword ? { username: config.registryUsername, password: config.registryPassword } : undefined
  return new KubernetesTarget({
    wharfVersion,
    defaultKubeconfig: config.kubeconfig,
    registryCredentials: credentials,
    shadowDir: join(deployDir, 'shadow'),
    predictionTapFor,
    publishImage: async (modelName, version, env, destination) => {
      const runtime = detectRuntime(config.containerRuntime)
      if (!runtime) throw new Error('building images for the kubernetes target needs podman or docker on this machine')
      await pushImage(runtime, await imageBuilder(modelName, version, env), destination, credentials)
    },
  })
}

/** The container target's runner and image builder, imported only when asked for. */
async function loadContainerSupport(deployDir: string, trackingUri: () => string, config: Config, logger: Logger) {
  const { ContainerRunner } = await import('../deploy/container/container-runner.js')
  const { imageForVersion } = await import('../deploy/container/version-image.js')
  return {
    containerRunner: (runtime: 'podman' | 'docker' | undefined) => new ContainerRunner({ runtime }),
    imageBuilder: (modelName: string, version: string, env: Environment) =>
      imageForVersion({
        modelName,
        version,
        base: env.target === 'container' ? env.base : undefined,
        runtime: env.target === 'container' ? (env.runtime ?? config.containerRuntime) : undefined,
        trackingUri: trackingUri(),
        token: config.authToken,
        workDir: join(deployDir, 'images'),
        logger,
      }),
  }
}
