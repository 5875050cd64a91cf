import { dirname, join, resolve } from 'node:path'
import type { Logger } from 'pino'
import { wharfBin } from '../app-paths.js'
import type { Config } from '../config.js'
import type { RegistryService } from '../registry/index.js'
import { sqlitePathOf } from '../store/open-store.js'
import { ControlPlane } from './control-plane.js'
import { loadEnvironments, type Environment } from './environments.js'
import { LocalRunner } from './local-runner.js'
import type { Runner } from './runner.js'
import { SqliteDeploymentStore } from './sqlite-deployment-store.js'

export interface StartedControlPlane {
  readonly plane: ControlPlane
  /** Call once the server listens: serving processes reach the registry at `trackingUri`. */
  start(trackingUri: string): Promise<void>
  close(): Promise<void>
}

/** Where logs go unless WHARF_DEPLOY_DIR says: `deployments/` beside the SQLite database. */
export function deployDirOf(config: Config): string {
  if (config.deployDir) return resolve(config.deployDir)
  const uri = config.backendStoreUri
  if (uri.startsWith('sqlite:///') && sqlitePathOf(uri) !== ':memory:') return join(dirname(sqlitePathOf(uri)), 'deployments')
  return resolve('wharf-data/deployments')
}

/**
 * Builds the control plane of `wharf server`: environments from wharf.yaml, desired state on the
 * server's SQLite database (a second connection; WAL lets both write), runners per target.
 * Undefined (with a warning) for store backends that have no deployment store yet.
 */
export async function startControlPlane(config: Config, registry: RegistryService, logger: Logger): Promise<StartedControlPlane | undefined> {
  if (!config.backendStoreUri.startsWith('sqlite:///')) {
    logger.warn('deployments need the SQLite store in this version; the deployment API is off')
    return undefined
  }
  const environments = await loadEnvironments(config.projectFile)
  const [{ openSqlite }] = await Promise.all([import('../store/sqlite/database.js')])
  const store = new SqliteDeploymentStore(openSqlite(sqlitePathOf(config.backendStoreUri), { durability: config.durability }), { ownsDb: true })
  const deployDir = deployDirOf(config)
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
  const { KubernetesTarget } = await import('./kubernetes/kubernetes-target.js')
  const plane = new ControlPlane({
    store, registry, environments, deployDir, runnerFor, logger, readyTimeoutMs: config.deployReadyTimeoutMs, imageFor: imageBuilder, kubernetes: new KubernetesTarget(),
    routerGuard: { allowedHosts: config.allowedHosts, allowedOrigins: config.corsAllowedOrigins, maxBodyBytes: config.serveMaxBodyBytes },
  })
  return {
    plane,
    start: async (uri) => {
      trackingUri = uri
      await plane.start()
      logger.info({ environments: [...environments.keys()], deployDir }, 'deployment control plane started')
    },
    close: async () => {
      await plane.close()
      await store.close()
    },
  }
}

/** The container target's runner and image builder, imported only when asked for. */
async function loadContainerSupport(deployDir: string, trackingUri: () => string, config: Config, logger: Logger) {
  const { ContainerRunner } = await import('./container/container-runner.js')
  const { imageForVersion } = await import('./container/version-image.js')
  return {
    containerRunner: (runtime: 'podman' | 'docker' | undefined) => new ContainerRunner({ runtime }),
    imageBuilder: (modelName: string, version: string, env: Environment) =>
      imageForVersion({ modelName, version, base: env.target === 'container' ? env.base : undefined, runtime: env.target === 'container' ? env.runtime ?? config.containerRuntime : undefined, trackingUri: trackingUri(), token: config.authToken, workDir: join(deployDir, 'images'), logger }),
  }
}
