import { dirname, isAbsolute, resolve } from 'node:path'
import { ConfigError } from '../config.js'
import type { RunOwner } from '../pipeline/index.js'
import type { ArtifactStore } from '../store/artifact-store.js'
import type { DeploymentStore } from '../store/deployment-store.js'
import type { LeaseStore } from '../store/lease-store.js'
import type { NamedLocks } from '../store/named-locks.js'
import type { PipelineStore } from '../store/pipeline-store.js'
import type { RegistryStore } from '../store/registry-store.js'
import type { TrackingStore } from '../store/tracking-store.js'

export interface BackendOptions {
  /** --backend-store-uri: `sqlite:///relative.db`, `sqlite:////absolute.db` or `postgresql://user:pass@host:port/db`. */
  readonly storeUri: string
  /**
   * --artifacts-destination: a local folder or `file://` URI, `s3://bucket/path` (MLFLOW_S3_ENDPOINT_URL for
   * S3-compatible servers) or `wasbs://container@account.blob.core.windows.net/path`.
   */
  readonly artifactsDestination: string
  readonly durability: 'full' | 'normal'
  /** Whether a pipeline lock holder still runs (see pipeline/owner-liveness.ts). */
  readonly isPipelineOwnerAlive: (owner: RunOwner, heartbeatTime: number, now: number) => boolean
}

/** Every store `wharf server` uses, chosen from the configured URIs. */
export interface Backends {
  readonly tracking: TrackingStore
  /** Registered models and versions, with their event log and webhook delivery queue. */
  readonly registry: RegistryStore
  /** Undefined when the backend has no deployment store yet (the deployment API is then off). */
  readonly deployments: DeploymentStore | undefined
  /** Leases for work one replica does (PostgreSQL); undefined for a store one process owns (SQLite). */
  readonly leases?: LeaseStore | undefined
  /** Locks around work no two processes on the store may do at once (a Kubernetes rollout of one endpoint). */
  readonly locks: NamedLocks
  /** Undefined when the backend has no pipeline store yet (the pipeline API is then off). */
  readonly pipelines: PipelineStore | undefined
  readonly artifacts: ArtifactStore
  /** The artifact store's folder when it is local (clients write there); undefined for object stores. */
  readonly artifactRoot: string | undefined
  /** The folder of a file database, where deployment logs go by default; undefined for other stores. */
  readonly dataDir: string | undefined
  /** Closes every store and the connections they share. */
  close(): Promise<void>
}

type MetadataStores = Omit<Backends, 'artifacts' | 'artifactRoot'>
interface ArtifactBackend {
  readonly store: ArtifactStore
  readonly root: string | undefined
}

/**
 * One opener per URI scheme, as MLflow picks stores by scheme. Each imports its driver lazily, so
 * a server on SQLite never loads a PostgreSQL or cloud client.
 */
const metadataOpeners: Readonly<Record<string, (uri: string, options: BackendOptions) => Promise<MetadataStores>>> = {
  sqlite: openSqliteStores,
  postgresql: openPostgresStores,
  postgres: openPostgresStores,
}

const artifactOpeners: Readonly<Record<string, (destination: string) => Promise<ArtifactBackend>>> = {
  file: openFsArtifacts,
  s3: openS3Artifacts,
  wasbs: openAzureArtifacts,
  wasb: openAzureArtifacts,
}

/** Opens the metadata stores named by `storeUri` and the artifact store named by `artifactsDestination`. */
export async function openBackends(options: BackendOptions): Promise<Backends> {
  const scheme = schemeOf(options.storeUri)
  const openMetadata = scheme === undefined ? undefined : metadataOpeners[scheme]
  if (openMetadata === undefined) {
    throw new ConfigError(
      `--backend-store-uri: no store for '${options.storeUri.split(':')[0]}' URIs in this version (sqlite:/// and postgresql:// are supported)`,
    )
  }
  const destinationScheme = schemeOf(options.artifactsDestination) ?? 'file'
  const openArtifacts = artifactOpeners[destinationScheme]
  if (openArtifacts === undefined) {
    throw new ConfigError(
      `--artifacts-destination: '${destinationScheme}' destinations are not supported in this version; give a local folder, s3://bucket/path or wasbs://container@account.blob.core.windows.net/path`,
    )
  }
  const artifacts = await openArtifacts(options.artifactsDestination)
  return { ...(await openMetadata(options.storeUri, options)), artifacts: artifacts.store, artifactRoot: artifacts.root }
}

/** `sqlite:///x.db` → `sqlite`; a plain path has no scheme. */
function schemeOf(uri: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]
}

/**
 * MLflow's reading of SQLite URIs: `sqlite:///relative/path.db` (three slashes) is relative to the
 * working directory, `sqlite:////absolute/path.db` (four) is absolute.
 */
function sqlitePathOf(uri: string, cwd: string = process.cwd()): string {
  const rest = uri.slice('sqlite:///'.length)
  if (rest === ':memory:') return ':memory:'
  return isAbsolute(rest) ? rest : resolve(cwd, rest)
}

/**
 * All four metadata stores on one SQLite connection: better-sqlite3 runs each write transaction to
 * completion before the next starts, so one connection is one writer and one WAL for the process.
 * Other processes (a CLI beside the server) wait on busy_timeout (see sqlite/database.ts).
 */
async function openSqliteStores(uri: string, options: BackendOptions): Promise<MetadataStores> {
  const [{ openSqlite }, { SqliteTrackingStore }, { SqliteRegistryStore }, { SqliteDeploymentStore }, { SqlitePipelineStore }, { ProcessLocks }] =
    await Promise.all([
      import('../store/sqlite/database.js'),
      import('../store/sqlite/tracking-store.js'),
      import('../store/sqlite/registry-store.js'),
      import('../store/sqlite/deployment-store.js'),
      import('../store/sqlite/pipeline-store.js'),
      import('../store/named-locks.js'),
    ])
  const path = sqlitePathOf(uri)
  const db = openSqlite(path, { durability: options.durability })
  const tracking = new SqliteTrackingStore(db)
  const registry = new SqliteRegistryStore(db)
  const deployments = new SqliteDeploymentStore(db)
  const pipelines = new SqlitePipelineStore(db, { isOwnerAlive: options.isPipelineOwnerAlive })
  return {
    tracking,
    registry,
    deployments,
    pipelines,
    // One server process owns the file, so its own queues serialize what must not overlap.
    locks: new ProcessLocks(),
    dataDir: path === ':memory:' ? undefined : dirname(path),
    close: async () => {
      await pipelines.close()
      await deployments.close()
      await registry.close()
      await tracking.close()
      db.close()
    },
  }
}

/**
 * Every metadata store on one pg pool. Several `wharf server` replicas may share the database: the
 * schema is migrated under an advisory lock, and queued work (webhook deliveries) is claimed with
 * row locks and leases. The URI's password never reaches a message: errors name the URI redacted.
 */
async function openPostgresStores(uri: string, options: BackendOptions): Promise<MetadataStores> {
  const [{ PgDatabase, redactUri }, { PostgresTrackingStore }, { PostgresRegistryStore }, { PostgresDeploymentStore }, { PostgresPipelineStore }] =
    await Promise.all([
      import('../store/postgres/database.js'),
      import('../store/postgres/tracking-store.js'),
      import('../store/postgres/registry-store.js'),
      import('../store/postgres/deployment-store.js'),
      import('../store/postgres/pipeline-store.js'),
    ])
  const [{ PostgresLeaseStore }, { PostgresAdvisoryLocks }] = await Promise.all([
    import('../store/postgres/lease-store.js'),
    import('../store/postgres/advisory-locks.js'),
  ])
  let db: Awaited<ReturnType<typeof PgDatabase.open>>
  try {
    db = await PgDatabase.open(uri)
  } catch (err) {
    const password = safePassword(uri)
    const reason = (err as Error).message
    throw new ConfigError(`--backend-store-uri ${redactUri(uri)}: cannot open the database: ${password ? reason.replaceAll(password, '***') : reason}`)
  }
  const tracking = await PostgresTrackingStore.open(db)
  const registry = new PostgresRegistryStore(db)
  const deployments = new PostgresDeploymentStore(db)
  const pipelines = new PostgresPipelineStore(db, { isOwnerAlive: options.isPipelineOwnerAlive })
  return {
    tracking,
    registry,
    deployments,
    pipelines,
    leases: new PostgresLeaseStore(db),
    locks: new PostgresAdvisoryLocks(db),
    dataDir: undefined,
    close: async () => {
      await pipelines.close()
      await deployments.close()
      await registry.close()
      await tracking.close()
      await db.close()
    },
  }
}

function safePassword(uri: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(uri).password)
    return password === '' ? undefined : password
  } catch {
    return undefined
  }
}

async function openFsArtifacts(destination: string): Promise<ArtifactBackend> {
  const { FsArtifactStore } = await import('../store/fs/artifact-store.js')
  const root = resolve(destination.replace(/^file:\/\//, ''))
  return { store: new FsArtifactStore(root), root }
}

/** Objects under `s3://bucket/prefix`; the SDK is imported only here. Clients reach them through the artifact proxy. */
async function openS3Artifacts(destination: string): Promise<ArtifactBackend> {
  const { S3ArtifactStore, parseS3Uri } = await import('../store/s3/artifact-store.js')
  return { store: new S3ArtifactStore(asConfig(() => parseS3Uri(destination))), root: undefined }
}

/** Block blobs under `wasbs://container@account.blob.core.windows.net/prefix`; credentials from the environment. */
async function openAzureArtifacts(destination: string): Promise<ArtifactBackend> {
  const { AzureArtifactStore, parseAzureUri } = await import('../store/azure/artifact-store.js')
  return { store: asConfig(() => new AzureArtifactStore(parseAzureUri(destination))), root: undefined }
}

/** A malformed destination (or missing credentials) is a configuration error, named as such at start. */
function asConfig<T>(make: () => T): T {
  try {
    return make()
  } catch (err) {
    throw new ConfigError(`--artifacts-destination: ${(err as Error).message}`)
  }
}
