import { realpath, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseModelUri } from '../models/index.js'
import { safeArtifactPath } from '../store/artifact-path.js'
import { fetchModel } from './model-cache.js'
import { RegistryClient } from './registry-client.js'

/** Where a model URI led: a local directory to load, and what it is in the registry. */
export interface ResolvedModel {
  readonly dir: string
  /** Registered model name (models:/ URIs), else the folder or run path name: the KServe model name. */
  readonly name: string
  /** Registered version, when the URI went through the registry. */
  readonly version: string | undefined
  /** Set for models:/NAME@ALIAS: the alias to follow for hot swaps. */
  readonly alias: { readonly name: string; readonly alias: string } | undefined
}

export interface SourceOptions {
  readonly trackingUri: string | undefined
  readonly token: string | undefined
  readonly cacheDir: string
}

const needsServer = (uri: string) =>
  new Error(`'${uri.slice(0, 200)}' is resolved through the tracking server: set MLFLOW_TRACKING_URI (or WHARF_TRACKING_URI)`)

export function registryClient(uri: string, options: SourceOptions): RegistryClient {
  if (options.trackingUri === undefined) throw needsServer(uri)
  return new RegistryClient({ trackingUri: options.trackingUri, token: options.token })
}

/**
 * Resolves a model URI the way `mlflow.pyfunc.load_model` does (docs/protocols.md §3.4): models:/ through
 * the registry (alias, get-download-uri, get-latest-versions), runs:/ through runs/get, then
 * downloads the files through the artifact proxy into the verified cache. A local directory is
 * used in place. Nothing in the URI ever reaches a shell.
 */
export async function resolveModel(uri: string, options: SourceOptions): Promise<ResolvedModel> {
  if (/^models:/i.test(uri)) return resolveRegistered(uri, options)
  if (/^runs:/i.test(uri)) {
    const match = /^runs:\/([0-9a-zA-Z_-]{1,64})\/(.+)$/.exec(uri)
    if (!match) throw new Error(`not a proper runs:/ URI: '${uri.slice(0, 200)}'; use runs:/<run_id>/<path>`)
    const path = safeArtifactPath(match[2])
    const client = registryClient(uri, options)
    const location = `${(await client.runArtifactUri(match[1]!)).replace(/\/+$/, '')}/${path}`
    return { dir: await fetchModel(client, location, options.cacheDir), name: basename(path), version: undefined, alias: undefined }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !/^file:/i.test(uri))
    throw new Error(`unsupported model URI scheme in '${uri.slice(0, 200)}': use a directory, runs:/ or models:/`)
  const dir = await realpath(/^file:/i.test(uri) ? fileURLToPath(uri) : uri).catch(() => {
    throw new Error(`model directory '${uri}' does not exist`)
  })
  if (!(await stat(dir)).isDirectory()) throw new Error(`'${uri}' is not a directory`)
  return { dir, name: basename(dir), version: undefined, alias: undefined }
}

async function resolveRegistered(uri: string, options: SourceOptions): Promise<ResolvedModel> {
  const ref = parseModelUri(uri)
  const client = registryClient(uri, options)
  if (ref.kind === 'logged-model') {
    const location = await client.loggedModelArtifactUri(ref.modelId)
    return { dir: await fetchModel(client, location, options.cacheDir), name: ref.modelId, version: undefined, alias: undefined }
  }
  let version: string
  let alias: ResolvedModel['alias']
  switch (ref.kind) {
    case 'version':
      version = String(ref.version)
      break
    case 'alias':
      version = ref.alias.toLowerCase() === 'latest' ? await client.latestVersion(ref.name, undefined) : await client.versionByAlias(ref.name, ref.alias)
      alias = ref.alias.toLowerCase() === 'latest' ? undefined : { name: ref.name, alias: ref.alias }
      break
    case 'stage':
      version = await client.latestVersion(ref.name, ref.stage)
      break
    case 'latest':
      version = await client.latestVersion(ref.name, undefined)
  }
  return { dir: await fetchVersion(client, ref.name, version, options.cacheDir), name: ref.name, version, alias }
}

/** Downloads (or finds in the cache) one registered version's files. */
export async function fetchVersion(client: RegistryClient, name: string, version: string, cacheDir: string): Promise<string> {
  return fetchModel(client, await client.downloadUri(name, version), cacheDir)
}
