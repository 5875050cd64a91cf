import type { Readable } from 'node:stream'
import type { FileInfo } from '../tracking/entities.js'

/**
 * Where artifact bytes live. Every `path` is a relative POSIX path that has already passed
 * `store/artifact-path.ts`; implementations still confine it to their root (defence in depth:
 * symlinks are resolved and checked before any read or write).
 */
export interface ArtifactStore {
  /** Stores a file from a stream; readers never see a partly written file. Creates parent folders. */
  put(path: string, body: Readable): Promise<void>
  /** RESOURCE_DOES_NOT_EXIST if there is no file at `path` (a folder is not a file). */
  get(path: string): Promise<{ readonly stream: Readable; readonly size: number }>
  /**
   * One level of the folder at `path` ('' is the root), entries named relative to `path`, sorted by
   * name. A file or missing path lists nothing: the MLflow 2 client takes any entry as a sign of
   * a folder, so listing a file must come back empty as it does from `mlflow server`.
   */
  list(path: string): Promise<readonly FileInfo[]>
  /** Removes a file or a whole folder; a missing path is not an error. */
  delete(path: string): Promise<void>
}
