import type { Config } from '../config.js'
import { serveApp } from '../http/serve.js'
import { ServerAuthority } from '../http/server-authority.js'
import { createLogger } from '../logger.js'
import { ownerLiveness } from '../pipeline/index.js'
import { RegistryService, WebhookDispatcher } from '../registry/index.js'
import { TrackingService } from '../tracking/tracking-service.js'
import { version } from '../version.js'
import { buildApp } from './app.js'
import { forwardToLeaseHolder } from './deployment-forwarding.js'
import { type LeasedSupervision, superviseWithLease } from './deployment-lease.js'
import { openBackends } from './open-backends.js'
import { startControlPlane } from './start-control-plane.js'
import { startPipelines } from './start-pipelines.js'

/** `wharf server`: the tracking server, artifact proxy and model registry on one port. */
export async function runServer(config: Config): Promise<void> {
  const logger = createLogger('wharf-server', { level: config.logLevel })
  const backends = await openBackends({
    storeUri: config.backendStoreUri,
    artifactsDestination: config.artifactsDestination,
    durability: config.durability,
    isPipelineOwnerAlive: ownerLiveness(config.pipelineLockTimeoutMs),
  })
  // Sends deliveries queued before a restart, and every new one (woken by registry changes and
  // monitoring alerts). Started once the control plane knows which variables hold alert secrets.
  const dispatcher = new WebhookDispatcher(backends.registry, {
    retryBaseMs: config.webhookRetryBaseMs,
    maxAttempts: config.webhookMaxAttempts,
    timeoutMs: config.webhookTimeoutMs,
    pollMs: Math.min(1000, config.webhookRetryBaseMs),
    readSecret: (name) => controlPlane?.readAlertSecret(name),
    logger,
  })
  // mlflow-artifacts:// URIs may name only this server (clients send their token there); known once it listens.
  const authority = new ServerAuthority({ bindHost: config.host, allowedHosts: config.allowedHosts })
  const isOwnArtifactAuthority = (a: string) => authority.isOwn(a)
  const registry = new RegistryService(backends.registry, backends.tracking, { onChange: () => dispatcher.wake(), isOwnArtifactAuthority })
  // Deployments: environments from wharf.yaml, supervised serving processes, traffic routers.
  if (!backends.deployments) logger.warn('this store has no deployment store yet; the deployment API is off')
  const controlPlane =
    backends.deployments &&
    (await startControlPlane(
      config,
      {
        registry,
        store: backends.deployments,
        dataDir: backends.dataDir,
        artifacts: backends.artifacts,
        alertQueue: backends.registry,
        locks: backends.locks,
        wakeDeliveries: () => dispatcher.wake(),
      },
      logger,
    ))
  dispatcher.start()
  // Pipelines: run records, approvals, locks, and the webhook receiver that starts runs.
  if (!backends.pipelines) logger.warn('this store has no pipeline store yet; the pipeline API is off')
  const pipelines = backends.pipelines && startPipelines(config, { store: backends.pipelines, artifactRoot: backends.artifactRoot }, logger)
  // On a shared database one replica supervises local and container deployments (deployment-lease.ts);
  // the others send those requests to it. Kubernetes ones any replica drives, so with only kubernetes
  // environments nothing is forwarded.
  let leased: LeasedSupervision | undefined
  const forwards =
    controlPlane !== undefined && backends.leases !== undefined && [...controlPlane.plane.environments.values()].some((e) => e.target !== 'kubernetes')
  const app = buildApp(
    {
      tracking: new TrackingService(backends.tracking, Date.now, isOwnArtifactAuthority),
      artifacts: backends.artifacts,
      registry,
      deployments: controlPlane?.plane,
      monitor: controlPlane?.monitor,
      pipelines,
    },
    {
      logger,
      bindHost: config.host,
      authToken: config.authToken,
      allowedHosts: config.allowedHosts,
      corsAllowedOrigins: config.corsAllowedOrigins,
      maxArtifactBytes: config.maxArtifactBytes,
      deploymentForwarding: forwards ? forwardToLeaseHolder({ lease: () => leased, authToken: config.authToken }) : undefined,
    },
  )
  const { server, port } = await serveApp(app, config.host, config.port)
  authority.listening(port)
  const loopback = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  const selfUri = `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`
  // On a shared database one replica supervises deployments at a time (deployment-lease.ts).
  if (controlPlane && backends.leases) leased = superviseWithLease(backends.leases, controlPlane, { selfUri, replicaUri: config.replicaUrl ?? selfUri }, logger)
  if (controlPlane && !leased) await controlPlane.start(selfUri)
  pipelines?.start(selfUri)
  // Never log the store URI whole: a postgresql:// URI carries a password.
  logger.info({ version, host: config.host, port, store: config.backendStoreUri.split(':')[0], auth: config.authToken !== undefined }, 'wharf server listening')
  process.stdout.write(`Wharf ${version} tracking server at http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}\n`)

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down')
    await new Promise((resolve) => server.close(resolve))
    // Serving processes keep running; the next start adopts them.
    if (leased) await leased.stop()
    else await controlPlane?.close()
    await dispatcher.stop()
    await backends.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
}
