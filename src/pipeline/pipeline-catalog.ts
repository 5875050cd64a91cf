import { realpath } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import { MlflowError, notFound } from '../errors.js'
import { loadPipeline, type PipelineDef } from './pipeline-file.js'

export interface CatalogOptions {
  /** The operator's wharf.yaml files: WHARF_PROJECT_FILE and --pipelines (relative to the working directory). */
  readonly files: readonly string[]
  /** The artifact store's local folder, if it has one: clients write there, so nothing under it is ever loaded. */
  readonly artifactRoot: string | undefined
}

const denied = (message: string) => new MlflowError('PERMISSION_DENIED', message)

/**
 * The pipelines a server may start (webhook triggers) and record runs of: only those in files its
 * operator configured, never a path from a request (issue #12: a run pointing at a wharf.yaml
 * uploaded through the artifact proxy made the server run its commands). Files are read again on
 * each use, by their real path, so an edit takes effect and a symlink into the artifact root is
 * seen for what it is.
 */
export class PipelineCatalog {
  readonly #files: readonly string[]
  readonly #artifactRoot: string | undefined

  constructor(options: CatalogOptions) {
    this.#files = [...new Set(options.files.map((f) => resolve(f)))]
    this.#artifactRoot = options.artifactRoot === undefined ? undefined : resolve(options.artifactRoot)
  }

  /**
   * The configured pipeline named `name`: RESOURCE_DOES_NOT_EXIST when no configured file defines
   * it, PERMISSION_DENIED when the file that does lies inside the artifact store.
   */
  async find(name: string): Promise<PipelineDef> {
    let refusal: MlflowError | undefined
    const unreadable: string[] = []
    for (const file of this.#files) {
      const real = await realpath(file).catch(() => undefined)
      if (real === undefined) continue
      const def = await loadPipeline(real).catch((err: Error) => void unreadable.push(err.message))
      if (def?.name !== name) continue
      if (await this.#isInArtifactStore(real)) {
        refusal ??= denied(`the file of pipeline '${name}' (${file}) lies inside the artifact store, which clients write to; Wharf never runs it`)
        continue
      }
      return def
    }
    if (refusal) throw refusal
    const broken = unreadable.length > 0 ? ` (configured files that do not load: ${unreadable.join('; ')})` : ''
    throw notFound(
      `no pipeline named '${name}' is configured on this server: list its wharf.yaml in --pipelines (WHARF_PIPELINES) or WHARF_PROJECT_FILE${broken}`,
    )
  }

  /**
   * The pipeline a new run belongs to, by name or by its configured path (or both, which must
   * agree). The run records the configured path, never the request's.
   */
  async findForRun(name: string | undefined, file: string | undefined): Promise<PipelineDef> {
    const real = file === undefined ? undefined : await realpath(resolve(file)).catch(() => undefined)
    if (name === undefined) {
      const configured = real === undefined ? undefined : await this.#configuredAt(real)
      if (configured === undefined)
        throw denied(`${file} is not a pipeline file this server was configured with (--pipelines, WHARF_PROJECT_FILE); a request cannot name another`)
      return this.find(configured.name)
    }
    const def = await this.find(name)
    if (file !== undefined && real !== def.file) {
      throw denied(`pipeline '${name}' runs from ${def.file}, the file its server was configured with; a request cannot name another`)
    }
    return def
  }

  /** The configured file whose real path is `real`, read. */
  async #configuredAt(real: string): Promise<PipelineDef | undefined> {
    for (const file of this.#files) {
      if ((await realpath(file).catch(() => undefined)) === real) return loadPipeline(real).catch(() => undefined)
    }
    return undefined
  }

  async #isInArtifactStore(real: string): Promise<boolean> {
    if (this.#artifactRoot === undefined) return false
    const root = await realpath(this.#artifactRoot).catch(() => this.#artifactRoot!)
    return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)
  }
}
