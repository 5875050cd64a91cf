import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { appRoot, numericRowsWasm } from '../../app-paths.js'
import { version as wharfVersion } from '../../version.js'
import { ensureBaseImage, imageExists as exists } from './base-image.js'
import { type ContainerRuntime, detectRuntime, runContainerCommand } from './container-cli.js'
import { renderContainerfile } from './containerfile.js'

export interface BuildImageRequest {
  readonly modelUri: string
  readonly tag: string
  readonly base?: string | undefined
  readonly runtime?: ContainerRuntime | undefined
  readonly trackingUri?: string | undefined
  readonly token?: string | undefined
  /** Build context: Containerfile, app/, model/. */
  readonly outDir: string
  /** Only write the build context and Containerfile. */
  readonly isBuildSkipped?: boolean | undefined
}

export interface BuiltImage {
  readonly tag: string
  readonly containerfile: string
  readonly runtime?: ContainerRuntime | undefined
  readonly labels: Record<string, string>
}

export const versionImageTag = (modelName: string, version: string) => `localhost/wharf-${modelName.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}:v${version}`

export async function imageExists(tag: string, runtime?: ContainerRuntime): Promise<boolean> {
  const found = detectRuntime(runtime)
  return found !== undefined && exists(found, tag)
}

/** Packages only the CLI's build and tests use, left out of images; also other platforms' ONNX Runtime binaries. */
async function isLeftOut(path: string, devPackages: ReadonlySet<string>): Promise<boolean> {
  const parts = relative(join(appRoot, 'node_modules'), path).split(sep)
  if (parts[0] === '..' || parts[0] === '') return false
  const name = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
  if (devPackages.has(name) || parts[0] === '@types' || parts[0] === '@kubernetes' || parts[0] === '@kubernetes-models' || parts[0] === '.bin') return true
  if (name === 'onnxruntime-node' && parts[1] === 'bin' && parts.length >= 5)
    return parts[3] !== process.platform || (parts.length >= 5 && parts[4] !== process.arch)
  if (name === 'better-sqlite3' && (parts[1] === 'deps' || parts[1] === 'src' || (parts[1] === 'build' && parts[2] !== 'Release' && parts.length > 2)))
    return true
  return false
}

async function modelFacts(request: BuildImageRequest): Promise<{ dir: string; name?: string; version?: string; runId?: string }> {
  const { resolveModel } = await import('../../serving/index.js')
  const resolved = await resolveModel(request.modelUri, {
    trackingUri: request.trackingUri,
    token: request.token,
    cacheDir: join(request.outDir, '.model-cache'),
  })
  let runId: string | undefined
  if (resolved.version !== undefined && request.trackingUri) {
    const url = new URL(`${request.trackingUri.replace(/\/+$/, '')}/api/2.0/mlflow/model-versions/get`)
    url.searchParams.set('name', resolved.name)
    url.searchParams.set('version', resolved.version)
    const res = await fetch(url, { headers: request.token ? { authorization: `Bearer ${request.token}` } : {} })
    if (res.ok) runId = ((await res.json()) as { model_version?: { run_id?: string } }).model_version?.run_id || undefined
  }
  const fromRun = /^runs:\/([^/]+)\//.exec(request.modelUri)?.[1]
  return { dir: resolved.dir, name: resolved.version !== undefined ? resolved.name : undefined, version: resolved.version, runId: runId ?? fromRun }
}

/**
 * `wharf build-image`: writes a build context (Wharf, its runtime node_modules, the model) and its
 * Containerfile to `outDir`, then builds it with podman or docker. Without `base`, the base image is
 * built locally from this machine's node (no registry). Podman builds in docker format so the
 * HEALTHCHECK is kept (the OCI format has none).
 */
export async function buildImage(request: BuildImageRequest): Promise<BuiltImage> {
  const runtime = detectRuntime(request.runtime)
  if (!runtime && !request.isBuildSkipped) throw new Error('build-image needs podman or docker on PATH (or --no-build to only write the Containerfile)')
  const model = await modelFacts(request)
  await rm(join(request.outDir, 'app'), { recursive: true, force: true })
  await rm(join(request.outDir, 'model'), { recursive: true, force: true })
  await mkdir(request.outDir, { recursive: true })
  await cp(model.dir, join(request.outDir, 'model'), { recursive: true, dereference: true })
  const pkg = JSON.parse(await readFile(join(appRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> }
  const devPackages = new Set(Object.keys(pkg.devDependencies ?? {}))
  // Everything `wharf serve` reads at run time; native/ only for its .wasm (not the Rust crate).
  for (const part of ['package.json', 'bin', 'dist', 'node_modules', relative(appRoot, numericRowsWasm)]) {
    await cp(join(appRoot, part), join(request.outDir, 'app', part), {
      recursive: true,
      dereference: true,
      filter: async (src) => !src.endsWith('.map') && !/\.test\.js$/.test(src) && !(await isLeftOut(src, devPackages)),
    })
  }
  const base = request.base ?? (runtime ? await ensureBaseImage(runtime) : `localhost/wharf-node-base:${process.versions.node}`)
  const containerfile = renderContainerfile({
    base,
    modelUri: request.modelUri,
    modelName: model.name,
    modelVersion: model.version,
    runId: model.runId,
    wharfVersion,
  })
  const containerfilePath = join(request.outDir, 'Containerfile')
  await writeFile(containerfilePath, containerfile)
  await writeFile(join(request.outDir, '.containerignore'), '.model-cache\n')
  const labels = {
    'io.wharf.model.uri': request.modelUri,
    'io.wharf.model.name': model.name ?? '',
    'io.wharf.model.version': model.version ?? '',
    'io.wharf.model.run-id': model.runId ?? '',
  }
  if (request.isBuildSkipped) return { tag: request.tag, containerfile: containerfilePath, labels }
  const format = runtime === 'podman' ? ['--format', 'docker'] : []
  await runContainerCommand(runtime!, ['build', ...format, '-f', containerfilePath, '-t', request.tag, request.outDir], { timeoutMs: 900_000 })
  return { tag: request.tag, containerfile: containerfilePath, runtime, labels }
}
