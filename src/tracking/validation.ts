import { mlflowArtifactsAuthority } from '../http/server-authority.js'
import { invalidParameter } from '../errors.js'
import { decodePercentFully } from '../percent-decode.js'
import type { Metric, RunBatch, Tag } from './entities.js'

/** Limits as MLflow enforces them (mlflow/utils/validation.py, MLflow 3). */
export const limits = {
  keyLength: 250,
  paramValueLength: 6000,
  // MLflow 2 capped run tag values at 5000, MLflow 3 at 8000; we take the newer, larger one.
  tagValueLength: 8000,
  experimentTagValueLength: 5000,
  experimentNameLength: 500,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  searchRunsMaxResults: 50000,
  searchExperimentsMaxResults: 50000,
  artifactLocationLength: 2048,
} as const

const keyPattern = /^[/\w.\- ]*$/

/** A metric, param or tag key: MLflow's character set, and a normalised relative path. */
export function validateKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  if (key === '') throw invalidParameter(`Invalid ${kind} name: ''. Names may not be empty.`)
  if (key.length > limits.keyLength) {
    throw invalidParameter(`${kind} name '${key.slice(0, 40)}...' had length ${key.length}, which exceeded length limit of ${limits.keyLength}`)
  }
  if (!keyPattern.test(key)) {
    throw invalidParameter(
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`,
    )
  }
  if (key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.')) {
    throw invalidParameter(
      `Invalid ${kind} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such.`,
    )
  }
}

function validateValueLength(kind: string, key: string, value: string, max: number): void {
  if (value.length > max) {
    throw invalidParameter(`${kind} value '${value.slice(0, 40)}...' for key '${key}' had length ${value.length}, which exceeded length limit of ${max}`)
  }
}

function validateMetric(m: Metric): void {
  validateKey('metric', m.key)
  if (typeof m.value !== 'number') throw invalidParameter(`Got invalid value ${String(m.value)} for metric '${m.key}'. Please specify value as a number.`)
  if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
    throw invalidParameter(`Got invalid timestamp ${m.timestamp} for metric '${m.key}'. Timestamp must be a non-negative integer (ms since epoch).`)
  }
  if (!Number.isSafeInteger(m.step)) throw invalidParameter(`Got invalid step ${m.step} for metric '${m.key}'. Step must be an integer.`)
}

function validateParam(p: Tag): void {
  validateKey('param', p.key)
  validateValueLength('Param', p.key, p.value, limits.paramValueLength)
}

export function validateTag(t: Tag, maxValueLength: number = limits.tagValueLength): void {
  validateKey('tag', t.key)
  validateValueLength('Tag', t.key, t.value, maxValueLength)
}

/** The whole batch is checked before anything is written, so a refused batch writes nothing. */
export function validateBatch(batch: RunBatch): void {
  const { metrics, params, tags } = batch
  if (metrics.length > limits.batchMetrics) {
    throw invalidParameter(`A batch logging request can contain at most ${limits.batchMetrics} metrics. Got ${metrics.length} metrics.`)
  }
  if (params.length > limits.batchParams) {
    throw invalidParameter(`A batch logging request can contain at most ${limits.batchParams} params. Got ${params.length} params.`)
  }
  if (tags.length > limits.batchTags) {
    throw invalidParameter(`A batch logging request can contain at most ${limits.batchTags} tags. Got ${tags.length} tags.`)
  }
  const total = metrics.length + params.length + tags.length
  if (total > limits.batchTotal) {
    throw invalidParameter(`A batch logging request can contain at most ${limits.batchTotal} total metrics, params, and tags. Got ${total}.`)
  }
  const seen = new Map<string, string>()
  for (const p of params) {
    const earlier = seen.get(p.key)
    if (earlier !== undefined && earlier !== p.value) {
      throw invalidParameter(`Duplicate parameter keys have been submitted: '${p.key}'. Please ensure the request contains only one param value per param key.`)
    }
    seen.set(p.key, p.value)
  }
  metrics.forEach(validateMetric)
  params.forEach(validateParam)
  for (const t of tags) validateTag(t)
}

export function validateExperimentName(name: string): void {
  if (name.trim() === '') throw invalidParameter('Invalid experiment name: experiment names may not be empty.')
  if (name.length > limits.experimentNameLength) {
    throw invalidParameter(`Experiment name had length ${name.length}, which exceeded length limit of ${limits.experimentNameLength}`)
  }
}

const idPattern = /^[a-zA-Z0-9][\w-]{0,255}$/

/** Run and logged-model ids end up in artifact paths, so they are held to MLflow's id pattern. */
export function validateRunId(runId: string): void {
  if (!idPattern.test(runId)) throw invalidParameter(`Invalid run ID: '${runId}'`)
}

/** Only the schemes whose bytes the client moves itself, or our proxy; never a server-side fetch. */
const allowedArtifactSchemes = ['mlflow-artifacts:', 's3:', 'gs:', 'wasbs:', 'abfss:']

/**
 * An experiment's artifact_location (docs/security.md §3.3), stricter than MLflow: no local or http roots,
 * and an `mlflow-artifacts://` authority only if it is this server (`isOwnAuthority`), since MLflow's
 * client sends its token to that host.
 */
export function validateArtifactLocation(location: string, isOwnAuthority: (authority: string) => boolean): void {
  if (location.length > limits.artifactLocationLength) throw invalidParameter(`'artifact_location' is longer than ${limits.artifactLocationLength} characters.`)
  if (/^runs:/i.test(location)) throw invalidParameter('Artifact location cannot be a runs:/ URI.')
  if (location.includes('#') || location.includes(';')) throw invalidParameter("'artifact_location' URL can't include fragments or params.")
  const decoding = decodePercentFully(location)
  if ('refused' in decoding) {
    throw invalidParameter(
      `Invalid 'artifact_location': ${decoding.refused === 'malformed' ? 'malformed percent-encoding' : 'percent-encoded too many times'}.`,
    )
  }
  const decoded = decoding.forms.at(-1)!
  if (decoded.includes('?')) throw invalidParameter('Invalid query string')
  if (decoded.includes('#') || decoded.includes(';')) throw invalidParameter("'artifact_location' URL can't include fragments or params.")
  if (decoded.split(/[/\\]/).includes('..') || /[\u0000-\u001f\\]/.test(decoded)) throw invalidParameter(`Invalid 'artifact_location': '${location}'`)
  const scheme = allowedArtifactSchemes.find((s) => location.toLowerCase().startsWith(s))
  if (!scheme) {
    throw invalidParameter(`'artifact_location' must use one of the schemes ${allowedArtifactSchemes.join(' ')}; local paths and http(s) roots are refused.`)
  }
  const authority = mlflowArtifactsAuthority(location)
  if (authority !== undefined && !isOwnAuthority(authority)) {
    throw invalidParameter(
      `'artifact_location' names another server ('${authority}'): clients would send their credentials there. Use mlflow-artifacts:/<path>.`,
    )
  }
}
