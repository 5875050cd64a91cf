import { notFound } from '../errors.js'
import type { RegistryStore } from '../store/registry-store.js'
import type { TrackingStore } from '../store/tracking-store.js'
import type { LoggedModel } from '../tracking/entities.js'
import type { ModelVersion } from './entities.js'
import { type ModelReference, parseModelUri } from '../models/index.js'

/** A model URI resolved to where its files are, and the registered version or logged model behind it. */
export interface ModelLocation {
  /** The `mlflow-artifacts:` (or object store) URI of the model directory, as get-download-uri answers. */
  readonly storageLocation: string
  readonly version?: ModelVersion | undefined
  readonly loggedModel?: LoggedModel | undefined
}

/**
 * The registered version a reference names, following the MLflow client: an alias, a number, the
 * newest version in a stage, or the newest version overall (`latest`, also `@latest`).
 * RESOURCE_DOES_NOT_EXIST when nothing matches.
 */
export async function resolveModelReference(registry: RegistryStore, ref: Exclude<ModelReference, { kind: 'logged-model' }>): Promise<ModelVersion> {
  switch (ref.kind) {
    case 'version':
      return registry.getModelVersion(ref.name, ref.version)
    case 'alias':
      if (ref.alias.toLowerCase() !== 'latest') return registry.getVersionByAlias(ref.name, ref.alias)
      return newest(await registry.getLatestVersions(ref.name, []), ref.name, '')
    case 'stage':
      return newest(await registry.getLatestVersions(ref.name, [ref.stage]), ref.name, ` and stage '${ref.stage}'`)
    case 'latest':
      return newest(await registry.getLatestVersions(ref.name, []), ref.name, '')
  }
}

function newest(versions: readonly ModelVersion[], name: string, stageText: string): ModelVersion {
  const top = versions.reduce<ModelVersion | undefined>((best, v) => (best === undefined || v.version > best.version ? v : best), undefined)
  if (!top) throw notFound(`No versions of model with name '${name}'${stageText} found`)
  return top
}

/**
 * Resolves `models:/NAME/VERSION`, `models:/NAME@ALIAS`, `models:/NAME/STAGE`, `models:/NAME/latest`
 * and `models:/m-<id>` server-side, for serving and deployments. INVALID_PARAMETER_VALUE for a
 * malformed URI, RESOURCE_DOES_NOT_EXIST when it names nothing.
 */
export async function resolveModelUri(uri: string, stores: { registry: RegistryStore; tracking: TrackingStore }): Promise<ModelLocation> {
  const ref = parseModelUri(uri)
  if (ref.kind === 'logged-model') {
    const loggedModel = await stores.tracking.getLoggedModel(ref.modelId)
    return { storageLocation: loggedModel.artifactUri, loggedModel }
  }
  const version = await resolveModelReference(stores.registry, ref)
  return { storageLocation: version.storageLocation, version }
}
