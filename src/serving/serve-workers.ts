import cluster from 'node:cluster'
import type { Config } from '../config.js'
import { createLogger } from '../logger.js'
import { renderMetrics, type MetricsSnapshot } from './metrics.js'
import { resolveModel, type ResolvedModel } from './model-source.js'
import { startServing, type RunningServing, type ServeOptions } from './serve-model.js'
import { version } from '../version.js'

type Message =
  | { type: 'wharf-hello' }
  | { type: 'wharf-start'; resolved: ResolvedModel }
  | { type: 'wharf-ready'; url: string; grpc: string | undefined; name: string; version: string | undefined }
  | { type: 'wharf-metrics-request'; id: number }
  | { type: 'wharf-metrics-collect'; id: number }
  | { type: 'wharf-metrics-snapshot'; id: number; snapshot: MetricsSnapshot }
  | { type: 'wharf-metrics-reply'; id: number; text: string }

function serveOptions(config: Config): ServeOptions {
  if (config.modelUri === undefined) throw new Error('--model-uri is required (a model directory, runs:/RUN/PATH or models:/NAME/VERSION|STAGE|@ALIAS)')
  return {
    modelUri: config.modelUri,
    host: config.host,
    port: config.servePort,
    grpcPort: config.serveGrpcPort,
    modelName: config.serveModelName,
    maxBodyBytes: config.serveMaxBodyBytes,
    backend: config.serveBackend,
    batchMaxRows: config.serveBatchMaxRows,
    batchMaxWaitUs: config.serveBatchMaxWaitUs,
    pythonEnv: config.servePythonEnv,
    allowPickle: config.serveAllowPickle,
    apiKeys: [config.serveApiKey, config.serveApiKeySecondary],
    apiKeysFile: config.serveApiKeysFile,
    accessLogSampleRate: config.serveAccessLogSampleRate,
    pollIntervalMs: config.servePollIntervalMs,
    cacheDir: config.serveModelCacheDir,
    trackingUri: config.trackingUri,
    token: config.trackingToken,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.corsAllowedOrigins,
    logger: createLogger('wharf-serve', { level: config.logLevel, destination: 2 }),
  }
}

const readyLine = (m: { url: string; grpc: string | undefined; name: string; version: string | undefined }) =>
  `Wharf ${version} serving ${m.name}${m.version ? ` version ${m.version}` : ''} at ${m.url}${m.grpc ? `, gRPC at ${m.grpc}` : ''}\n`

/** `wharf serve`: one process, or with --workers N a node:cluster primary and N workers on one port. */
export async function runServe(config: Config): Promise<void> {
  const options = serveOptions(config)
  if (cluster.isWorker) return runWorker(options, config.serveDrainTimeoutMs)
  if (config.serveWorkers <= 1) {
    const serving = await startServing(options)
    process.stdout.write(readyLine({ url: serving.url, grpc: serving.grpcAddress, name: serving.slot.name, version: serving.slot.current?.version }))
    return stopOnSignals(serving, config.serveDrainTimeoutMs)
  }
  return runPrimary(options, config.serveWorkers)
}

function runPrimary(options: ServeOptions, workers: number): Promise<void> {
  return resolveModel(options.modelUri, options).then((resolved) => {
    let stopping = false
    let announced = false
    const ready = new Set<number>()
    const pending = new Map<number, { from: number; expected: number; snapshots: MetricsSnapshot[]; timer: NodeJS.Timeout }>()
    const finish = (id: number) => {
      const p = pending.get(id)
      if (p === undefined) return
      pending.delete(id)
      clearTimeout(p.timer)
      cluster.workers?.[p.from]?.send({ type: 'wharf-metrics-reply', id, text: renderMetrics(p.snapshots) } satisfies Message)
    }
    let nextId = 0
    const fork = () => cluster.fork()
    cluster.on('message', (worker, msg: Message) => {
      // Workers say hello once they listen for messages: anything sent earlier would be lost.
      if (msg.type === 'wharf-hello') worker.send({ type: 'wharf-start', resolved } satisfies Message)
      else if (msg.type === 'wharf-ready') {
        ready.add(worker.id)
        if (ready.size === workers && !announced) {
          announced = true
          process.stdout.write(readyLine(msg))
        }
      } else if (msg.type === 'wharf-metrics-request') {
        const id = ++nextId
        const all = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined)
        // A worker that does not answer within a second is left out of this scrape.
        pending.set(id, { from: worker.id, expected: all.length, snapshots: [], timer: setTimeout(() => finish(id), 1000) })
        for (const w of all) w.send({ type: 'wharf-metrics-collect', id } satisfies Message)
      } else if (msg.type === 'wharf-metrics-snapshot') {
        const p = pending.get(msg.id)
        if (p === undefined) return
        p.snapshots.push(msg.snapshot)
        if (p.snapshots.length === p.expected) finish(msg.id)
      }
    })
    cluster.on('exit', (worker, code, signal) => {
      ready.delete(worker.id)
      if (stopping) return
      options.logger?.warn({ pid: worker.process.pid, exit: signal ?? code }, 'worker exited; starting another')
      fork()
    })
    for (let i = 0; i < workers; i++) fork()
    const stop = () => {
      stopping = true
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
      const check = setInterval(() => {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      }, 50)
      check.unref()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
}

function runWorker(options: ServeOptions, drainMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let nextId = 0
    const waiting = new Map<number, (text: string) => void>()
    let serving: RunningServing | undefined
    process.on('message', (msg: Message) => {
      if (msg.type === 'wharf-start') {
        const renderAll = () =>
          new Promise<string>((done) => {
            const id = ++nextId
            waiting.set(id, done)
            process.send!({ type: 'wharf-metrics-request', id } satisfies Message)
          })
        startServing({ ...options, resolved: msg.resolved, renderMetrics: renderAll }).then((s) => {
          serving = s
          process.send!({ type: 'wharf-ready', url: s.url, grpc: s.grpcAddress, name: s.slot.name, version: s.slot.current?.version } satisfies Message)
          stopOnSignals(s, drainMs).then(resolve, reject)
        }, reject)
      } else if (msg.type === 'wharf-metrics-collect' && serving !== undefined) {
        process.send!({ type: 'wharf-metrics-snapshot', id: msg.id, snapshot: serving.metrics.snapshot() } satisfies Message)
      } else if (msg.type === 'wharf-metrics-reply') {
        waiting.get(msg.id)?.(msg.text)
        waiting.delete(msg.id)
      }
    })
    process.send!({ type: 'wharf-hello' } satisfies Message)
  })
}

/** SIGTERM/SIGINT: stop accepting, let in-flight requests finish (up to drainMs), exit 0. */
function stopOnSignals(serving: RunningServing, drainMs: number): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      serving.close(drainMs).then(
        () => {
          resolve()
          process.exit(0)
        },
        () => process.exit(1),
      )
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
}
