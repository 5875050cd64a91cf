import { MlflowError, invalidParameter } from '../errors.js'
import { decodePercentFully } from '../percent-decode.js'
import type { TrackingStore } from '../store/tracking-store.js'
import { safeArtifactPath } from '../store/artifact-path.js'
import type { LoggedModel, Run, Tag } from '../tracking/entities.js'
import { validateRunId } from '../tracking/validation.js'
import type { ModelVersion } from './entities.js'
import { type ModelReference, parseModelUri } from '../models/index.js'

/** What a version's source resolves to: the files' location and the lineage it implies. */
export interface ResolvedSource {
  /** The source as stored and echoed back: the client's text, or its canonical form for registry references. */
  readonly source: string
  /** Always inside a run's or a logged model's artifacts, or the artifact proxy. */
  readonly storageLocation: string
  readonly runId?: string | undefined
  readonly modelId?: string | undefined
}

export interface SourceRequest {
  readonly source: string
  readonly runId?: string | undefined
  readonly modelId?: string | undefined
  readonly tags: readonly Tag[]
}

export interface SourceLookups {
  readonly tracking: TrackingStore
  /** Whether an `mlflow-artifacts://` authority is this server: clients send their token to it. */
  readonly isOwnAuthority: (authority: string) => boolean
  /** Resolves `models:/name/version` (or `@alias`, stage, latest) to a registered version. */
  readonly resolveVersion: (ref: Exclude<ModelReference, { kind: 'logged-model' }>) => Promise<ModelVersion>
}

const maxSourceLength = 500 // model_versions.source is VARCHAR(500) in MLflow
// MLflow's store writes these instead of a location for prompt versions (mlflow/prompt/constants.py).
const promptPlaceholders = new Set(['dummy-source', 'prompt-template'])
export const promptTagKey = 'mlflow.prompt.is_prompt'

const refuse = (source: string, why: string) => invalidParameter(`Invalid model version source: '${source.slice(0, 200)}'. ${why}`)
const where = "A source must be inside Wharf's artifact store: mlflow-artifacts:/<path>, runs:/<run_id>/<path>, models:/<model_id> or models:/<name>/<version>."

/** Tags collapse by key, last value wins, as in MLflow's `_is_prompt_request`. */
function isPromptRequest(tags: readonly Tag[]): boolean {
  let value = 'false'
  for (const t of tags) if (t.key === promptTagKey) value = t.value
  return value.toLowerCase() === 'true'
}

/**
 * Validates and resolves a model version source (docs/security.md §3.2, stricter than MLflow): only
 * sources inside Wharf's artifact store are accepted. Every failure is INVALID_PARAMETER_VALUE.
 */
export async function resolveVersionSource(request: SourceRequest, lookups: SourceLookups): Promise<ResolvedSource> {
  const { source } = request
  checkSourceText(source)
  if (request.runId) validateRunId(request.runId)
  if (isPromptRequest(request.tags)) {
    // A prompt has no files; anything but MLflow's placeholder would be a location nobody checked.
    if (!promptPlaceholders.has(source)) throw refuse(source, 'Prompt sources must use an MLflow placeholder.')
    return { source, storageLocation: source }
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(source)?.[1]?.toLowerCase()
  if (scheme === undefined || scheme === 'file') throw refuse(source, `Local paths and file: URIs are refused. ${where}`)
  if (scheme === 'runs') return resolveRunsSource(request, lookups)
  if (scheme === 'models') return resolveModelsSource(request, lookups)
  const uri = parseHierarchicalUri(source)
  if (uri === undefined) throw refuse(source, where)
  if (scheme === 'mlflow-artifacts') {
    if (uri.path === '') throw refuse(source, 'It names the root of the artifact store.')
    if (uri.authority !== undefined && !lookups.isOwnAuthority(uri.authority)) {
      throw refuse(source, `It names another server ('${uri.authority}'): clients would send their credentials there. Use mlflow-artifacts:/<path>.`)
    }
    await checkLineage(request, uri, lookups, false)
    return { source, storageLocation: formatUri(uri), runId: request.runId || undefined, modelId: request.modelId || undefined }
  }
  // s3://, gs://, ... only when it is the artifact root of the run or logged model the request names.
  await checkLineage(request, uri, lookups, true)
  return { source, storageLocation: formatUri(uri), runId: request.runId || undefined, modelId: request.modelId || undefined }
}

/**
 * Refuses what could smuggle a different location past the checks below: control characters,
 * query and fragment markers, backslashes, and `..` segments in any percent-decoding of the text,
 * also with `+` read as a space (Python's unquote_plus, CVE-2024-1558 class).
 */
function checkSourceText(source: string): void {
  if (source.length > maxSourceLength) throw refuse(source, `It is longer than ${maxSourceLength} characters.`)
  const decoding = decodePercentFully(source)
  if ('refused' in decoding) {
    throw refuse(source, decoding.refused === 'malformed' ? 'It has malformed percent-encoding.' : 'It is percent-encoded too many times.')
  }
  for (const form of decoding.forms.flatMap((f) => [f, f.replaceAll('+', ' ')])) {
    if (/[\u0000-\u001f\u007f]/.test(form)) throw refuse(source, 'It contains control characters.')
    if (/[?#\\]/.test(form)) throw refuse(source, "It contains '?', '#' or '\\'.")
    if (form.split('/').some((segment) => segment.trim() === '..')) throw refuse(source, "It contains a '..' segment.")
  }
}

interface HierarchicalUri {
  readonly scheme: string
  readonly authority?: string | undefined
  /** Safe, normalised, relative (no leading or trailing '/'). */
  readonly path: string
}

const authorityPattern = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/** `scheme:/path` or `scheme://authority/path`, with the path held to the rules of store/artifact-path.ts. */
function parseHierarchicalUri(uri: string): HierarchicalUri | undefined {
  const match = /^([A-Za-z][A-Za-z0-9+.-]+):(?:\/\/([^/]*))?(\/.*)?$/.exec(uri)
  if (!match) return undefined
  const authority = match[2]
  if (authority !== undefined && authority !== '' && !authorityPattern.test(authority)) return undefined
  let path: string
  try {
    path = safeArtifactPath((match[3] ?? '').replace(/^\/+/, ''))
  } catch (err) {
    if (err instanceof MlflowError) return undefined
    throw err
  }
  return { scheme: match[1]!.toLowerCase(), authority: authority ? authority.toLowerCase() : undefined, path }
}

const formatUri = (u: HierarchicalUri) => `${u.scheme}:${u.authority ? `//${u.authority}` : ''}/${u.path}`

function isWithin(inner: HierarchicalUri, rootUri: string): boolean {
  const root = parseHierarchicalUri(rootUri)
  if (!root || root.path === '' || root.scheme !== inner.scheme || root.authority !== inner.authority) return false
  return inner.path === root.path || inner.path.startsWith(`${root.path}/`)
}

const joinUri = (root: string, path: string) => (path === '' ? root : `${root.replace(/\/+$/, '')}/${path}`)

/**
 * With run_id or model_id, a location must lie inside that run's artifacts, a logged model of that
 * run, or that logged model. Without either, proxied (mlflow-artifacts) locations are accepted and
 * any other scheme is refused (`requireOwner`).
 */
async function checkLineage(request: SourceRequest, uri: HierarchicalUri, lookups: SourceLookups, requireOwner: boolean): Promise<void> {
  const { source } = request
  const run = request.runId ? await lookupRun(source, request.runId, lookups) : undefined
  const model = request.modelId ? await lookupLoggedModel(source, request.modelId, lookups) : undefined
  if (!run && !model) {
    if (requireOwner) throw refuse(source, `It points outside Wharf's artifact store. ${where}`)
    return
  }
  if (model && run && model.sourceRunId && model.sourceRunId !== run.info.runId) throw refuse(source, 'The logged model was not produced by that run.')
  const roots = [run?.info.artifactUri, model?.artifactUri, ...(run && !model ? await loggedModelRootsOf(run, lookups) : [])]
  if (!roots.some((root) => root !== undefined && isWithin(uri, root))) {
    throw refuse(source, `It is not inside the artifacts of the ${run ? `run '${run.info.runId}'` : `logged model '${model!.modelId}'`}.`)
  }
}

async function loggedModelRootsOf(run: Run, lookups: SourceLookups): Promise<string[]> {
  const page = await lookups.tracking.searchLoggedModels({
    experimentIds: [run.info.experimentId],
    clauses: [{ entity: 'attribute', key: 'source_run_id', comparator: '=', value: run.info.runId }],
    orderBy: [],
    maxResults: 1000,
    viewType: 'ACTIVE_ONLY',
  })
  return page.items.map((m) => m.artifactUri)
}

async function resolveRunsSource(request: SourceRequest, lookups: SourceLookups): Promise<ResolvedSource> {
  const { source } = request
  const match = /^runs:\/([^/]+)(?:\/(.*))?$/i.exec(source)
  if (!match || !/^[A-Za-z0-9][\w-]{0,255}$/.test(match[1]!)) throw refuse(source, 'Expected runs:/<run_id>/<artifact path>.')
  const runId = match[1]!
  if (request.runId && request.runId !== runId) throw refuse(source, `It names run '${runId}' but run_id is '${request.runId}'.`)
  if (request.modelId) throw refuse(source, 'A runs:/ source cannot be combined with model_id; use models:/<model_id>.')
  let path: string
  try {
    path = safeArtifactPath(match[2] ?? '')
  } catch {
    throw refuse(source, 'Its artifact path is not a safe relative path.')
  }
  const run = await lookupRun(source, runId, lookups)
  return { source, storageLocation: joinUri(run.info.artifactUri, path), runId }
}

async function resolveModelsSource(request: SourceRequest, lookups: SourceLookups): Promise<ResolvedSource> {
  const { source } = request
  let ref: ModelReference
  try {
    ref = parseModelUri(source)
  } catch {
    throw refuse(source, 'Expected models:/<model_id> or models:/<name>/<version>.')
  }
  if (ref.kind === 'logged-model') {
    if (request.modelId && request.modelId !== ref.modelId) throw refuse(source, `It names logged model '${ref.modelId}' but model_id is '${request.modelId}'.`)
    const model = await lookupLoggedModel(source, ref.modelId, lookups)
    if (request.runId) {
      await lookupRun(source, request.runId, lookups)
      if (model.sourceRunId && model.sourceRunId !== request.runId) throw refuse(source, 'The logged model was not produced by that run.')
    }
    return { source, storageLocation: model.artifactUri, runId: request.runId || model.sourceRunId, modelId: model.modelId }
  }
  let version: ModelVersion
  try {
    version = await lookups.resolveVersion(ref)
  } catch (err) {
    if (err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST') throw refuse(source, err.message)
    throw err
  }
  if ((request.runId && request.runId !== version.runId) || (request.modelId && request.modelId !== version.modelId)) {
    throw refuse(source, 'The run_id and model_id request parameters must match the referenced model version.')
  }
  return { source: `models:/${version.name}/${version.version}`, storageLocation: version.storageLocation, runId: version.runId, modelId: version.modelId }
}

async function lookupRun(source: string, runId: string, lookups: SourceLookups): Promise<Run> {
  try {
    return await lookups.tracking.getRun(runId)
  } catch (err) {
    if (err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST') throw refuse(source, `Run '${runId}' does not exist.`)
    throw err
  }
}

async function lookupLoggedModel(source: string, modelId: string, lookups: SourceLookups): Promise<LoggedModel> {
  try {
    return await lookups.tracking.getLoggedModel(modelId)
  } catch (err) {
    if (err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST') throw refuse(source, `Logged model '${modelId}' does not exist.`)
    throw err
  }
}
