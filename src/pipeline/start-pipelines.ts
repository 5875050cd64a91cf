import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import { type Config, readEnvironmentVariables } from '../config.js'
import { sqlitePathOf } from '../store/open-store.js'
import type { RunOwner } from './entities.js'
import { PipelineCatalog } from './pipeline-catalog.js'
import { PipelineTrigger } from './pipeline-trigger.js'
import type { PipelineStore } from './pipeline-store.js'
import { SqlitePipelineStore } from './sqlite-pipeline-store.js'
import { definedOnly, inheritedVariables, secretVariables } from './step-environment.js'

/** What `wharf server` mounts: the run store behind the pipeline API, and the webhook receiver. */
export interface PipelineServices {
  readonly store: PipelineStore
  /** The pipelines the operator configured: the only ones runs may be recorded for and webhooks may start. */
  readonly catalog: PipelineCatalog
  readonly trigger: PipelineTrigger
  /** Call once the server listens: runners started by webhooks reach it at `trackingUri`. */
  start(trackingUri: string): void
  close(): Promise<void>
}

/** Alive: a heartbeat within the timeout and, on this host, a process with that pid. */
export function ownerLiveness(lockTimeoutMs: number, localHost = hostname()) {
  return (owner: RunOwner, heartbeatTime: number, now: number): boolean => {
    if (now - heartbeatTime > lockTimeoutMs) return false
    if (owner.host !== localHost) return true
    try {
      process.kill(owner.pid, 0)
      return true
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM'
    }
  }
}

/** Pipeline runs on the server's SQLite database (a second connection, as deployments use). */
export async function startPipelines(config: Config, logger: Logger): Promise<PipelineServices | undefined> {
  if (!config.backendStoreUri.startsWith('sqlite:///')) {
    logger.warn('pipelines need the SQLite store in this version; the pipeline API is off')
    return undefined
  }
  const { openSqlite } = await import('../store/sqlite/database.js')
  const store = new SqlitePipelineStore(openSqlite(sqlitePathOf(config.backendStoreUri), { durability: config.durability }), {
    ownsDb: true,
    isOwnerAlive: ownerLiveness(config.pipelineLockTimeoutMs),
  })
  const catalog = new PipelineCatalog({ files: [config.projectFile, ...config.pipelines], artifactRoot: localArtifactRoot(config.artifactsDestination) })
  let trackingUri = ''
  const trigger = new PipelineTrigger({
    store, catalog, secret: config.pipelineWebhookSecret, trackingUri: () => trackingUri, token: config.authToken, logger,
    runnerEnvironment: (pipeline) => definedOnly(readEnvironmentVariables([...inheritedVariables, ...secretVariables(pipeline.secrets)])),
  })
  return {
    store,
    catalog,
    trigger,
    start: (uri) => {
      trackingUri = uri
    },
    close: () => store.close(),
  }
}

/** The folder a local artifact destination writes to (as store/open-store.ts reads it); none for object stores. */
function localArtifactRoot(destination: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(destination) && !destination.startsWith('file://')) return undefined
  return resolve(destination.replace(/^file:\/\//, ''))
}
