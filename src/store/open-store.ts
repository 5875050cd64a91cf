import { isAbsolute, resolve } from 'node:path'
import { ConfigError } from '../config.js'
import type { ArtifactStore } from './artifact-store.js'
import type { RegistryStore } from './registry-store.js'
import type { TrackingStore } from './tracking-store.js'

/**
 * MLflow's reading of SQLite URIs: `sqlite:///relative/path.db` (three slashes) is relative to the
 * working directory, `sqlite:////absolute/path.db` (four) is absolute.
 */
export function sqlitePathOf(uri: string, cwd: string = process.cwd()): string {
  const rest = uri.slice('sqlite:///'.length)
  if (rest === ':memory:') return ':memory:'
  return isAbsolute(rest) ? rest : resolve(cwd, rest)
}

/** URI scheme → implementation. Drivers are imported lazily so unused ones never load. */
export async function openTrackingStore(uri: string, durability: 'full' | 'normal'): Promise<TrackingStore> {
  if (uri.startsWith('sqlite:///')) {
    const { SqliteTrackingStore } = await import('./sqlite/tracking-store.js')
    return new SqliteTrackingStore(sqlitePathOf(uri), { durability })
  }
  throw new ConfigError(`--backend-store-uri: no store for '${uri.split(':')[0]}' URIs in this version (sqlite:/// is supported)`)
}

export interface Stores {
  readonly tracking: TrackingStore
  readonly registry: RegistryStore
  /** Closes both stores and their shared connection. */
  close(): Promise<void>
}

/** The tracking and registry stores on one connection (one SQLite writer, one WAL). */
export async function openStores(uri: string, durability: 'full' | 'normal'): Promise<Stores> {
  if (uri.startsWith('sqlite:///')) {
    const [{ openSqlite }, { SqliteTrackingStore }, { SqliteRegistryStore }] = await Promise.all([
      import('./sqlite/database.js'), import('./sqlite/tracking-store.js'), import('./sqlite/registry-store.js'),
    ])
    const db = openSqlite(sqlitePathOf(uri), { durability })
    const tracking = new SqliteTrackingStore(db)
    const registry = new SqliteRegistryStore(db)
    return {
      tracking,
      registry,
      close: async () => {
        await registry.close()
        await tracking.close()
        db.close()
      },
    }
  }
  throw new ConfigError(`--backend-store-uri: no store for '${uri.split(':')[0]}' URIs in this version (sqlite:/// is supported)`)
}

/** A local folder today; object stores (s3://, wasbs://) plug in here behind the same interface. */
export async function openArtifactStore(destination: string): Promise<ArtifactStore> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(destination) && !destination.startsWith('file://')) {
    throw new ConfigError(`--artifacts-destination: '${destination.split(':')[0]}' destinations are not supported in this version; give a local folder`)
  }
  const { FsArtifactStore } = await import('./fs/artifact-store.js')
  return new FsArtifactStore(resolve(destination.replace(/^file:\/\//, '')))
}
