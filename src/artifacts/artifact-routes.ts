import { extname, posix } from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { MlflowError } from '../errors.js'
import { get, type Route } from '../http/route.js'
import type { Services } from '../http/services.js'
import { toWireFileInfo } from '../tracking/wire.js'
import { artifactUriToStorePath } from './artifact-uri.js'
import { joinArtifactPath, safeArtifactPath } from './safe-path.js'

// Types a browser cannot run: HTML, SVG and scripts go out as text/plain (SECURITY.md §3.7).
const contentTypes: Readonly<Record<string, string>> = {
  '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8', '.csv': 'text/csv', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg',
  '.gif': 'image/gif', '.onnx': 'application/octet-stream', '.parquet': 'application/octet-stream',
}
const contentTypeOf = (path: string) => contentTypes[extname(path).toLowerCase()] ?? (extname(path) ? 'application/octet-stream' : 'text/plain; charset=utf-8')

/** The part of the raw (still percent-encoded) URL after `marker`, so safe-path sees exactly what was sent. */
function rawPathAfter(request: FastifyRequest, marker: string): string {
  const url = request.raw.url ?? ''
  const start = url.indexOf(marker)
  const rest = start === -1 ? '' : url.slice(start + marker.length)
  const query = rest.indexOf('?')
  return query === -1 ? rest : rest.slice(0, query)
}

/**
 * The artifact proxy (`/api/2.0/mlflow-artifacts/...`, PROTOCOLS.md §2). Uploads stream straight
 * to the store without being parsed, so this plugin has its own catch-all body parser.
 */
export function registerArtifactProxy(app: FastifyInstance, services: Services, prefixes: readonly string[]): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    for (const prefix of prefixes) {
      const marker = `${prefix}/artifacts/`
      scope.put(`${marker}*`, async (request) => {
        const path = safeArtifactPath(rawPathAfter(request, marker))
        if (path === '') throw new MlflowError('INVALID_PARAMETER_VALUE', 'An artifact upload needs a file path.')
        await services.artifacts.put(path, request.raw)
        return {}
      })
      scope.get(`${marker}*`, async (request, reply) => {
        const path = safeArtifactPath(rawPathAfter(request, marker))
        const file = await services.artifacts.get(path)
        return reply
          .header('Content-Type', contentTypeOf(path))
          .header('Content-Length', file.size)
          .header('Content-Disposition', `attachment; filename="${encodeURIComponent(posix.basename(path))}"`)
          .send(file.stream)
      })
      scope.delete(`${marker}*`, async (request) => {
        const path = safeArtifactPath(rawPathAfter(request, marker))
        if (path === '') throw new MlflowError('INVALID_PARAMETER_VALUE', 'Refusing to delete the artifact root.')
        await services.artifacts.delete(path)
        return {}
      })
      scope.get(`${prefix}/artifacts`, async (request) => {
        const path = safeArtifactPath((request.query as { path?: string }).path)
        const files = await services.artifacts.list(path)
        return files.length ? { files: files.map(toWireFileInfo) } : {}
      })
      // Clients fall back to a single streamed PUT on exactly this answer (PROTOCOLS.md §2).
      for (const step of ['create', 'complete', 'abort']) {
        scope.post(`${prefix}/mpu/${step}/*`, async () => {
          throw new MlflowError('NOT_IMPLEMENTED', 'Multipart upload is not supported for the current artifact repository')
        })
      }
    }
  })
}

async function listUnder(services: Services, rootUri: string, relPath: string | undefined) {
  const rel = safeArtifactPath(relPath)
  const storeRoot = artifactUriToStorePath(rootUri)
  if (storeRoot === undefined) return { root_uri: rootUri }
  const files = await services.artifacts.list(joinArtifactPath(storeRoot, rel))
  const entries = files.map((f) => toWireFileInfo({ ...f, path: joinArtifactPath(rel, f.path) }))
  return entries.length ? { root_uri: rootUri, files: entries } : { root_uri: rootUri }
}

/** Listing a run's or a logged model's artifacts through the tracking API (service.proto ListArtifacts). */
export const artifactListRoutes: readonly Route[] = [
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
