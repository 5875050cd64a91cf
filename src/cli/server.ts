import { pino } from 'pino'
import type { Config } from '../config.js'
import { startControlPlane } from '../deploy/index.js'
import { ServerAuthority } from '../artifacts/server-authority.js'
import { buildApp } from '../http/app.js'
import { startPipelines } from '../pipeline/index.js'
import { serveApp } from '../http/serve.js'
import { RegistryService, startWebhookDispatcher } from '../registry/index.js'
import { openArtifactStore, openStores } from '../store/open-store.js'
import { TrackingService } from '../tracking/tracking-service.js'
import { version } from '../version.js'

/** `wharf server`: the tracking server, artifact proxy and model registry on one port. */
export async function runServer(config: Config): Promise<void> {
  const logger = pino({ level: config.logLevel, base: { service: 'wharf-server' } })
  const stores = await openStores(config.backendStoreUri, config.durability)
  const artifacts = await openArtifactStore(config.artifactsDestination)
  // Sends deliveries queued before a restart, and every new one (woken by registry changes).
  const dispatcher = startWebhookDispatcher(stores.registry, {
    retryBaseMs: config.webhookRetryBaseMs,
    maxAttempts: config.webhookMaxAttempts,
    timeoutMs: config.webhookTimeoutMs,
    pollMs: Math.min(1000, config.webhookRetryBaseMs),
    logger,
  })
  // mlflow-artifacts:// URIs may name only this server (clients send their token there); known once it listens.
  const authority = new ServerAuthority({ bindHost: config.host, allowedHosts: config.allowedHosts })
  const isOwnArtifactAuthority = (a: string) => authority.isOwn(a)
  const registry = new RegistryService(stores.registry, stores.tracking, { onChange: () => dispatcher.wake(), isOwnArtifactAuthority })
  // Deployments: environments from wharf.yaml, supervised serving processes, traffic routers.
  const controlPlane = await startControlPlane(config, registry, logger)
  // Pipelines: run records, approvals, locks, and the webhook receiver that starts runs.
  const pipelines = await startPipelines(config, logger)
  const app = buildApp(
    { tracking: new TrackingService(stores.tracking, Date.now, isOwnArtifactAuthority), artifacts, registry, deployments: controlPlane?.plane, pipelines },
    {
      logger,
      bindHost: config.host,
      authToken: config.authToken,
      allowedHosts: config.allowedHosts,
      corsAllowedOrigins: config.corsAllowedOrigins,
      maxArtifactBytes: config.maxArtifactBytes,
    },
  )
  const { server, port } = await serveApp(app, config.host, config.port)
  authority.listening(port)
  const loopback = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  await controlPlane?.start(`http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`)
  pipelines?.start(`http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`)
  // Never log the store URI whole: a postgresql:// URI carries a password.
  logger.info({ version, host: config.host, port, store: config.backendStoreUri.split(':')[0], auth: config.authToken !== undefined }, 'wharf server listening')
  process.stdout.write(`Wharf ${version} tracking server at http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}\n`)

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down')
    await new Promise((resolve) => server.close(resolve))
    // Serving processes keep running; the next start adopts them.
    await controlPlane?.close()
    await pipelines?.close()
    await dispatcher.stop()
    await stores.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
}
