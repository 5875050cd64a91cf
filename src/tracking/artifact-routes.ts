import { extname, posix } from 'node:path'
import { Readable } from 'node:stream'
import type { Context, Hono } from 'hono'
import { z } from 'zod'
import { MlflowError, invalidParameter } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { requestBodyStream } from '../http/request-body.js'
import { get, type TrackingContext, type TrackingRoute } from './tracking-route.js'
import { toWireFileInfo } from './wire.js'
import { artifactUriToStorePath } from '../store/artifact-uri.js'
import { joinArtifactPath, safeArtifactPath } from '../store/artifact-path.js'

// Types a browser cannot run: HTML, SVG and scripts go out as text/plain (docs/security.md §3.7).
const contentTypes: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.csv': 'text/csv',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.onnx': 'application/octet-stream',
  '.parquet': 'application/octet-stream',
}
const contentTypeOf = (path: string) => contentTypes[extname(path).toLowerCase()] ?? (extname(path) ? 'application/octet-stream' : 'text/plain; charset=utf-8')

/** The part of the raw (still percent-encoded) URL after `marker`, so `safeArtifactPath` sees exactly what was sent. */
function rawPathAfter(c: Context<AppEnv>, marker: string): string {
  const url = c.env?.incoming?.url ?? new URL(c.req.url).pathname
  const path = url.split('?')[0] ?? ''
  const start = path.indexOf(marker)
  return start === -1 ? '' : path.slice(start + marker.length)
}

/**
 * The artifact proxy (`/api/2.0/mlflow-artifacts/...`, docs/protocols.md §2). Uploads stream straight
 * to the store, never buffered or parsed, whatever content type the client names.
 */
export function mountArtifactProxy(app: Hono<AppEnv>, services: TrackingContext, prefixes: readonly string[], maxUploadBytes: number): void {
  for (const prefix of prefixes) {
    const marker = `${prefix}/artifacts/`
    // Before the wildcard routes: Hono's `/artifacts/*` also matches `/artifacts` itself.
    app.get(`${prefix}/artifacts`, async (c) => {
      const path = safeArtifactPath(c.req.query('path'))
      const files = await services.artifacts.list(path)
      return c.json(files.length ? { files: files.map(toWireFileInfo) } : {})
    })
    app.put(`${marker}*`, async (c) => {
      const path = safeArtifactPath(rawPathAfter(c, marker))
      if (path === '') throw invalidParameter('An artifact upload needs a file path.')
      await services.artifacts.put(path, requestBodyStream(c, maxUploadBytes))
      return c.json({})
    })
    app.get(`${marker}*`, async (c) => {
      const path = safeArtifactPath(rawPathAfter(c, marker))
      const file = await services.artifacts.get(path)
      return new Response(Readable.toWeb(file.stream) as ReadableStream, {
        headers: {
          'Content-Type': contentTypeOf(path),
          'Content-Length': String(file.size),
          'Content-Disposition': `attachment; filename="${encodeURIComponent(posix.basename(path))}"`,
          'X-Content-Type-Options': 'nosniff',
        },
      })
    })
    app.delete(`${marker}*`, async (c) => {
      const path = safeArtifactPath(rawPathAfter(c, marker))
      if (path === '') throw invalidParameter('Refusing to delete the artifact root.')
      await services.artifacts.delete(path)
      return c.json({})
    })
    // Clients fall back to a single streamed PUT on exactly this answer (docs/protocols.md §2).
    app.post(`${prefix}/mpu/*`, () => {
      throw new MlflowError('NOT_IMPLEMENTED', 'Multipart upload is not supported for the current artifact repository')
    })
  }
}

async function listUnder(services: TrackingContext, rootUri: string, relPath: string | undefined) {
  const rel = safeArtifactPath(relPath)
  const storeRoot = artifactUriToStorePath(rootUri)
  if (storeRoot === undefined) return { root_uri: rootUri }
  const files = await services.artifacts.list(joinArtifactPath(storeRoot, rel))
  const entries = files.map((f) => toWireFileInfo({ ...f, path: joinArtifactPath(rel, f.path) }))
  return entries.length ? { root_uri: rootUri, files: entries } : { root_uri: rootUri }
}

/** Listing a run's or a logged model's artifacts through the tracking API (service.proto ListArtifacts). */
export const artifactListRoutes: readonly TrackingRoute[] = [
  get(
    '/artifacts/list',
    z.object({ run_id: z.string().optional(), run_uuid: z.string().optional(), path: z.string().optional(), page_token: z.string().optional() }),
    async (q, services) => {
      const run = await services.tracking.getRun(q.run_id || q.run_uuid || '')
      return listUnder(services, run.info.artifactUri, q.path)
    },
  ),
  get(
    '/logged-models/:model_id/artifacts/directories',
    z.object({ model_id: z.string(), artifact_directory_path: z.string().optional() }),
    async (q, services) => {
      const model = await services.tracking.store.getLoggedModel(q.model_id)
      return listUnder(services, model.artifactUri, q.artifact_directory_path)
    },
  ),
]
