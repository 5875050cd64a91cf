import { pino } from 'pino'
import type { Config } from '../config.js'
import { buildApp } from '../http/app.js'
import { openArtifactStore, openTrackingStore } from '../store/open-store.js'
import { TrackingService } from '../tracking/tracking-service.js'
import { version } from '../version.js'

/** `wharf server`: the tracking server, artifact proxy and (later) registry on one port. */
export async function runServer(config: Config): Promise<void> {
  const logger = pino({ level: config.logLevel, base: { service: 'wharf-server' } })
  const store = await openTrackingStore(config.backendStoreUri, config.durability)
  const artifacts = await openArtifactStore(config.artifactsDestination)
  const app = buildApp(
    { tracking: new TrackingService(store), artifacts },
    {
      logger,
      bindHost: config.host,
      authToken: config.authToken,
      allowedHosts: config.allowedHosts,
      corsAllowedOrigins: config.corsAllowedOrigins,
    },
  )
  await app.listen({ host: config.host, port: config.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  // Never log the store URI whole: a postgresql:// URI carries a password.
  logger.info({ version, host: config.host, port, store: config.backendStoreUri.split(':')[0], auth: config.authToken !== undefined }, 'wharf server listening')
  process.stdout.write(`Wharf ${version} tracking server at http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}\n`)

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down')
    await app.close()
    await store.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
}
