import { type Context, Hono, type MiddlewareHandler } from 'hono'
import type { Logger } from '../logger.js'
import { deploymentRoutes } from '../deploy/deploy-routes.js'
import { actorOf } from '../http/actor.js'
import type { AppEnv } from '../http/app-env.js'
import { errorResponse, notFoundResponse } from '../http/error-response.js'
import { type GuardOptions, guards } from '../http/guards.js'
import { mountRoutes } from '../http/route.js'
import { monitorRoutes } from '../monitor/monitor-routes.js'
import { pipelineRoutes } from '../pipeline/pipeline-routes.js'
import { mountPipelineTrigger } from '../pipeline/trigger-route.js'
import { modelVersionRoutes } from '../registry/model-version-routes.js'
import { registeredModelRoutes } from '../registry/registered-model-routes.js'
import { wharfRegistryRoutes } from '../registry/wharf-routes.js'
import { artifactListRoutes, mountArtifactProxy } from '../tracking/artifact-routes.js'
import { experimentRoutes } from '../tracking/experiment-routes.js'
import { loggedModelRoutes } from '../tracking/logged-model-routes.js'
import { runRoutes } from '../tracking/run-routes.js'
import { runViewRoutes } from '../tracking/run-view-routes.js'
import { isUiRequest, mountUi } from '../ui/ui-routes.js'
import { uiAppDir } from '../app-paths.js'
import { version } from '../version.js'
import type { Services } from './services.js'

export interface AppOptions extends GuardOptions {
  readonly logger?: Logger | undefined
  /** Artifact uploads larger than this are refused with 413 (default: 10 GiB). */
  readonly maxArtifactBytes?: number | undefined
  /** The built web UI to serve at `/`; default: dist/ui-app. */
  readonly uiDir?: string | undefined
  /** Runs before the deployment routes: sends their requests to the replica that supervises deployments (deployment-forwarding.ts). */
  readonly deploymentForwarding?: MiddlewareHandler<AppEnv> | undefined
}

// The client calls /api/2.0; the UI uses /ajax-api/2.0; endpoints new in MLflow 3 may come under 3.0.
const apiPrefixes = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow', '/api/3.0/mlflow', '/ajax-api/3.0/mlflow']
const artifactPrefixes = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts']
const wharfPrefixes = ['/api/2.0/wharf', '/ajax-api/2.0/wharf']

/**
 * The tracking server's HTTP app (Hono: small, and quick to load, which keeps cold start low).
 * Tests call it in-process with `app.request`; `start-server.ts` serves it on node:http.
 */
export function buildApp(services: Services, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: true })
  app.onError(errorResponse(options.logger))
  app.notFound(notFoundResponse)
  app.use(guards({ ...options, isPublic: isUiRequest }))
  app.get('/health', (c) => c.text('OK'))
  app.get('/version', (c) => c.text(version))
  mountRoutes(app, apiPrefixes, [...experimentRoutes, ...runRoutes, ...loggedModelRoutes, ...artifactListRoutes], () => services)
  // Registry, deployment and pipeline handlers learn who is asking: every change is recorded with it.
  const withActor = (c: Context<AppEnv>) => ({
    registry: services.registry,
    actor: actorOf({ authorization: c.req.header('authorization'), userAgent: c.req.header('user-agent') }),
  })
  mountRoutes(app, apiPrefixes, [...registeredModelRoutes, ...modelVersionRoutes], withActor)
  mountRoutes(app, wharfPrefixes, wharfRegistryRoutes, withActor)
  mountRoutes(app, wharfPrefixes, runViewRoutes, () => services)
  if (services.deployments) {
    const forwarding = options.deploymentForwarding
    if (forwarding) for (const prefix of wharfPrefixes) app.use(`${prefix}/deployments/*`, forwarding)
    mountRoutes(app, wharfPrefixes, deploymentRoutes(services.deployments), withActor)
  }
  if (services.monitor) {
    const monitor = services.monitor
    mountRoutes(app, wharfPrefixes, monitorRoutes(monitor), () => undefined)
    // The control plane's Prometheus endpoint (issue #18): endpoint traffic over all instances, drift gauges.
    app.get('/metrics', async (c) => c.body(await monitor.metricsText(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }))
  }
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
