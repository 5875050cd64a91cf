import Fastify, { type FastifyInstance, type FastifyReply, LogController } from 'fastify'
import type { Logger } from 'pino'
import { artifactListRoutes, registerArtifactProxy } from '../artifacts/artifact-routes.js'
import { experimentRoutes } from '../tracking/experiment-routes.js'
import { loggedModelRoutes } from '../tracking/logged-model-routes.js'
import { runRoutes } from '../tracking/run-routes.js'
import { version } from '../version.js'
import { installErrorResponses } from './error-response.js'
import { type GuardOptions, installGuards } from './guards.js'
import { mountRoutes } from './route.js'
import type { Services } from './services.js'

export interface AppOptions extends GuardOptions {
  readonly logger?: Logger | false
}

// The client calls /api/2.0; the UI uses /ajax-api/2.0; endpoints new in MLflow 3 may come under 3.0.
const apiPrefixes = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow', '/api/3.0/mlflow', '/ajax-api/3.0/mlflow']
const artifactPrefixes = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts']

/** The tracking server's HTTP app. Tests call it in-process with `app.inject`. */
export function buildApp(services: Services, options: AppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger || undefined,
    logger: options.logger === undefined ? false : undefined,
    // log-inputs may carry a 16 MB dataset profile (MLflow's limit) plus its JSON overhead.
    bodyLimit: 20 * 1024 * 1024,
    // Per-request info lines would dominate the log-metric hot path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreDuplicateSlashes: false, caseSensitive: true },
    // A URL the router cannot decode (`%c0%ae`, a lone `%`) never reaches a handler.
    frameworkErrors: (err, _request, reply) => {
      const status = err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_ASYNC_CONSTRAINT' ? 400 : (err.statusCode ?? 500)
      const message = err.code === 'FST_ERR_BAD_URL' ? 'Invalid path' : 'Malformed request'
      ;(reply as unknown as FastifyReply).status(status).send({ error_code: status < 500 ? 'INVALID_PARAMETER_VALUE' : 'INTERNAL_ERROR', message })
    },
  }) as unknown as FastifyInstance
  installGuards(app, options)
  installErrorResponses(app)
  // MLflow accepts JSON bodies only (its _validate_content_type); Fastify would also parse text/plain.
  app.removeContentTypeParser('text/plain')
  app.get('/health', async (_request, reply) => reply.type('text/plain').send('OK'))
  app.get('/version', async (_request, reply) => reply.type('text/plain').send(version))
  mountRoutes(app, apiPrefixes, [...experimentRoutes, ...runRoutes, ...loggedModelRoutes, ...artifactListRoutes], services)
  registerArtifactProxy(app, services, artifactPrefixes)
  return app
}
