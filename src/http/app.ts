import { Hono } from 'hono'
import type { Logger } from 'pino'
import { artifactListRoutes, mountArtifactProxy } from '../artifacts/artifact-routes.js'
import { deploymentRoutes } from '../deploy/index.js'
import { mountPipelineTrigger, pipelineRoutes } from '../pipeline/index.js'
import { modelVersionRoutes, mountRegistryRoutes, registeredModelRoutes, wharfRegistryRoutes } from '../registry/index.js'
import { experimentRoutes } from '../tracking/experiment-routes.js'
import { loggedModelRoutes } from '../tracking/logged-model-routes.js'
import { runRoutes } from '../tracking/run-routes.js'
import { runViewRoutes } from '../tracking/run-view-routes.js'
import { isUiRequest, mountUi } from '../ui/index.js'
import { uiAppDir } from '../app-paths.js'
import { version } from '../version.js'
import type { AppEnv } from './app-env.js'
import { errorResponse, notFoundResponse } from './error-response.js'
import { type GuardOptions, guards } from './guards.js'
import { mountRoutes } from './route.js'
import type { Services } from './services.js'

export interface AppOptions extends GuardOptions {
  readonly logger?: Logger | undefined
  /** Artifact uploads larger than this are refused with 413 (default: 10 GiB). */
  readonly maxArtifactBytes?: number | undefined
  /** The built web UI to serve at `/`; default: dist/ui-app. */
  readonly uiDir?: string | undefined
}

// The client calls /api/2.0; the UI uses /ajax-api/2.0; endpoints new in MLflow 3 may come under 3.0.
const apiPrefixes = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow', '/api/3.0/mlflow', '/ajax-api/3.0/mlflow']
const artifactPrefixes = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts']
const wharfPrefixes = ['/api/2.0/wharf', '/ajax-api/2.0/wharf']

/**
 * The tracking server's HTTP app (Hono: small, and quick to load, which keeps cold start low).
 * Tests call it in-process with `app.request`; `cli/server.ts` serves it with @hono/node-server.
 */
export function buildApp(services: Services, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: true })
  app.onError(errorResponse(options.logger))
  app.notFound(notFoundResponse)
  app.use(guards({ ...options, isPublic: isUiRequest }))
  app.get('/health', (c) => c.text('OK'))
  app.get('/version', (c) => c.text(version))
  mountRoutes(app, apiPrefixes, [...experimentRoutes, ...runRoutes, ...loggedModelRoutes, ...artifactListRoutes], () => services)
  mountRegistryRoutes(app, apiPrefixes, [...registeredModelRoutes, ...modelVersionRoutes], services.registry)
  mountRegistryRoutes(app, wharfPrefixes, wharfRegistryRoutes, services.registry)
  mountRoutes(app, wharfPrefixes, runViewRoutes, () => services)
  // Deployment handlers get the actor the same way registry handlers do.
  if (services.deployments) mountRegistryRoutes(app, wharfPrefixes, deploymentRoutes(services.deployments), services.registry)
  if (services.pipelines) {
    mountPipelineTrigger(app, wharfPrefixes, services.pipelines.trigger)
    // Approvals are recorded with who was authenticated, never a user name the client claims. Until
    // Wharf has user accounts that is whoever holds the server's token, or nobody in particular.
    const actor = options.authToken !== undefined ? 'token holder' : 'anonymous'
    mountRoutes(app, wharfPrefixes, pipelineRoutes(services.pipelines.store, services.pipelines.catalog), () => ({ actor }))
  }
  mountArtifactProxy(app, services, artifactPrefixes, options.maxArtifactBytes ?? 10 * 1024 ** 3)
  // Last: every GET that no API route answered is a page of the web UI.
  mountUi(app, options.uiDir ?? uiAppDir)
  return app
}
