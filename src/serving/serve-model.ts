import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { createLogger, type Logger } from '../logger.js'
import { AccessLog } from './access-log.js'
import { AliasFollower } from './alias-follower.js'
import { ApiKeys } from './api-keys.js'
import { createServingServer } from './http.js'
import { ServingMetrics } from './metrics.js'
import { fetchVersion, registryClient, resolveModel, type ResolvedModel } from './model-source.js'
import { ModelSlot } from './model-slot.js'
import { Predictor, type PredictorOptions } from './predictor.js'
import { HostGuard } from '../http/host-guard.js'

export interface ServeOptions extends PredictorOptions {
  readonly modelUri: string
  readonly host: string
  readonly port: number
  /** Also serve KServe V2 over gRPC on this port (same host, keys and model); undefined: no gRPC. */
  readonly grpcPort?: number | undefined
  readonly modelName?: string | undefined
  readonly maxBodyBytes: number
  readonly apiKeys?: readonly (string | undefined)[]
  readonly apiKeysFile?: string | undefined
  readonly accessLogSampleRate?: number
  readonly pollIntervalMs: number
  readonly cacheDir: string
  readonly trackingUri: string | undefined
  readonly token: string | undefined
  readonly allowedHosts?: readonly string[]
  readonly allowedOrigins?: readonly string[]
  /** Already resolved (the cluster primary downloads once before forking workers). */
  readonly resolved?: ResolvedModel
  /** /metrics text for the whole server (cluster workers ask the primary). */
  readonly renderMetrics?: () => Promise<string>
  /** Status and errors (loaded, switched, poll failures); default: Wharf's log lines on stderr. */
  readonly logger?: Logger | undefined
  /** The access log's lines; default: on stdout. */
  readonly accessLogger?: Logger | undefined
}

export interface RunningServing {
  readonly url: string
  readonly port: number
  /** `host:port` of the gRPC service, when --grpc-port asked for one. */
  readonly grpcAddress: string | undefined
  readonly slot: ModelSlot
  readonly metrics: ServingMetrics
  /** Stops following the alias, drains in-flight requests (up to drainMs), releases the model. */
  close(drainMs?: number): Promise<void>
}

/**
 * Starts serving one model: listen first (health says not ready), load and warm up, then answer.
 * With models:/NAME@ALIAS, follows the alias and swaps versions without failing a request.
 */
export async function startServing(options: ServeOptions): Promise<RunningServing> {
  const resolved = options.resolved ?? (await resolveModel(options.modelUri, options))
  const slot = new ModelSlot(options.modelName ?? resolved.name)
  const logger = (options.logger ?? createLogger('wharf-serve', { destination: 2 })).child({ model: slot.name })
  const accessLogger = (options.accessLogger ?? createLogger('wharf-serve')).child({ model: slot.name })
  const metrics = new ServingMetrics(slot.name)
  const keys = new ApiKeys(options.apiKeys ?? [], options.apiKeysFile, logger)
  const guard = new HostGuard({
    bindHost: options.host,
    allowedHosts: options.allowedHosts ?? [],
    allowedOrigins: options.allowedOrigins ?? [],
    hostCheck: 'loopback',
  })
  const http = createServingServer({
    slot,
    metrics,
    keys,
    guard,
    logger,
    accessLog: new AccessLog(accessLogger, options.accessLogSampleRate ?? 0),
    maxBodyBytes: options.maxBodyBytes,
    ...(options.renderMetrics ? { renderMetrics: options.renderMetrics } : {}),
  })
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject)
    http.server.listen(options.port, options.host, () => resolve())
  })
  const port = (http.server.address() as AddressInfo).port

  const load = async (dir: string, version: string | undefined) => {
    const started = performance.now()
    const predictor = await Predictor.load(dir, options)
    await predictor.warmUp()
    slot.swap(predictor, version, dir)
    metrics.modelLoaded(version, predictor.backend, (performance.now() - started) / 1000)
    logger.info({ version, backend: predictor.backend, dir }, 'serving')
  }
  // gRPC is loaded only when asked for: a server without it never imports @grpc/grpc-js.
  let grpc: import('./grpc/grpc-server.js').GrpcServing | undefined
  try {
    if (options.grpcPort !== undefined) {
      const { startGrpcServing } = await import('./grpc/grpc-server.js')
      grpc = await startGrpcServing({ slot, keys, logger, host: options.host, port: options.grpcPort, maxMessageBytes: options.maxBodyBytes, metrics })
    }
    await load(resolved.dir, resolved.version)
  } catch (err) {
    await Promise.all([http.drain(0), grpc?.drain(0)])
    throw err
  }

  let follower: AliasFollower | undefined
  if (resolved.alias !== undefined && resolved.version !== undefined) {
    const client = registryClient(options.modelUri, options)
    const { name, alias } = resolved.alias
    follower = new AliasFollower(
      {
        client,
        name,
        alias,
        intervalMs: options.pollIntervalMs,
        logger,
        switchTo: async (v) => load(await fetchVersion(client, name, v, options.cacheDir), v),
      },
      resolved.version,
    )
    follower.start()
  }
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${port}`,
    port,
    grpcAddress: grpc?.address,
    slot,
    metrics,
    close: async (drainMs = 30_000) => {
      follower?.stop()
      keys.close()
      await Promise.all([http.drain(drainMs), grpc?.drain(drainMs)])
      await slot.close()
    },
  }
}
