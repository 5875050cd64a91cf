import { join, resolve } from 'node:path'
import type { Logger } from '../logger.js'
import { wharfBin } from '../app-paths.js'
import type { Config } from '../config.js'
import { ControlPlane, type Environment, LocalRunner, loadEnvironments, type Runner } from '../deploy/index.js'
import type { RegistryService } from '../registry/index.js'
import type { DeploymentStore } from '../store/deployment-store.js'

export interface StartedControlPlane {
  readonly plane: ControlPlane
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
  const { KubernetesTarget } = await import('../deploy/kubernetes/kubernetes-target.js')
  const plane = new ControlPlane({
    store,
    registry,
    environments,
    deployDir,
    runnerFor,
    logger,
    readyTimeoutMs: config.deployReadyTimeoutMs,
    imageFor: imageBuilder,
    kubernetes: new KubernetesTarget(),
    routerGuard: { allowedHosts: config.allowedHosts, allowedOrigins: config.corsAllowedOrigins, maxBodyBytes: config.serveMaxBodyBytes },
  })
  return {
    plane,
    start: async (uri) => {
      trackingUri = uri
      await plane.start()
      logger.info({ environments: [...environments.keys()], deploy_dir: deployDir }, 'deployment control plane started')
    },
    close: () => plane.close(),
  }
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
