import { invalidParameter, missingParameter } from '../errors.js'
import type { Tag } from '../tracking/entities.js'
import { validateKey } from '../tracking/validation.js'

/** Limits as MLflow 3 enforces them (mlflow/utils/validation.py). */
export const registryLimits = {
  tagKeyLength: 250,
  tagValueLength: 100_000,
  aliasLength: 255,
  modelNameLength: 256,
  descriptionLength: 100_000,
  searchModelsMaxResults: 1000,
  searchVersionsMaxResults: 200_000,
} as const

/**
 * MLflow 3's `_validate_model_name` (mlflow/utils/validation.py): not blank, no '/' or ':', and
 * not a path that normalises to another ('.', a leading '..'); plus no control characters and a
 * length cap (its column is VARCHAR(256)). Nothing more permissive. Names may hold shell
 * metacharacters, as in MLflow: pipelines hand them to commands as environment variables.
 */
export function validateModelName(name: string, field = 'name'): void {
  if (name.trim() === '') throw missingParameter(field)
  if (name.includes('/') || name.includes(':')) throw invalidParameter(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`)
  if (name === '.' || name.startsWith('..') || /[\u0000-\u001f]/.test(name)) throw invalidParameter(`Invalid value '${name}' for parameter '${field}'.`)
  if (name.length > registryLimits.modelNameLength) {
    throw invalidParameter(`Model name had length ${name.length}, which exceeded length limit of ${registryLimits.modelNameLength}`)
  }
}

// Stricter than MLflow's `^[\w\-]*$`, whose \w also admits non-ASCII letters.
const aliasPattern = /^[A-Za-z0-9_-]+$/

/** Alias names: `[A-Za-z0-9_-]`, at most 255 characters; setting one may not use a reserved name. */
export function validateAlias(alias: string, { isBeingSet }: { isBeingSet: boolean }): void {
  if (alias === '') throw invalidParameter('Registered model alias name cannot be empty.')
  if (!aliasPattern.test(alias))
    throw invalidParameter(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`)
  if (alias.length > registryLimits.aliasLength) {
    throw invalidParameter(`Registered model alias name had length ${alias.length}, which exceeded length limit of ${registryLimits.aliasLength}`)
  }
  if (!isBeingSet) return
  // `models:/name@latest` and `@v3` already mean something (mlflow/utils/validation.py).
  if (alias.toLowerCase() === 'latest') throw invalidParameter("'latest' alias name (case insensitive) is reserved.")
  if (/^[vV]\d+$/.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`)
}

export function validateRegistryTag(tag: Tag): void {
  validateKey('tag', tag.key)
  if (tag.value.length > registryLimits.tagValueLength) {
    throw invalidParameter(`Tag value for key '${tag.key}' had length ${tag.value.length}, which exceeded length limit of ${registryLimits.tagValueLength}`)
  }
}

export function validateDescription(description: string): void {
  if (description.length > registryLimits.descriptionLength) {
    throw invalidParameter(`Description had length ${description.length}, which exceeded length limit of ${registryLimits.descriptionLength}`)
  }
}
