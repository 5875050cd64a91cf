import { z } from 'zod'
import { type Route, routeBuilders } from '../http/route.js'
import { double, int64 } from '../http/wire-schema.js'
import type { AgreementReport } from './agreement.js'
import type { ControlPlane } from './control-plane.js'
import type { DeployChange } from './entities.js'
import type { RevealedKeys } from './endpoint-keys.js'
import type { EndpointStatus } from './endpoint-status.js'
import { type InstanceTraffic, TrafficMeter } from './traffic-meter.js'

/** Deployment handlers learn who is asking, as registry handlers do: every change is recorded with it. */
export interface DeployContext {
  readonly actor: string
}

const { get, post } = routeBuilders<DeployContext>()

const name = z.string().min(1).max(256)
const version = z.union([z.string().regex(/^\d+$/, 'expected a version number'), z.number().int().min(1).transform(String)])

const toWireChange = (c: DeployChange) => ({
  change_id: c.changeId,
  time: c.time,
  actor: c.actor,
  action: c.action,
  environment: c.environment,
  model_name: c.modelName,
  from_version: c.fromVersion ?? null,
  to_version: c.toVersion ?? null,
  data: c.data,
})

const toWireEndpoint = (e: EndpointStatus) => ({
  environment: e.environment,
  model_name: e.modelName,
  target: e.target,
  url: e.url ?? null,
  ...(e.grpcUrl ? { grpc_url: e.grpcUrl } : {}),
  live_version: e.liveVersion ?? null,
  since: e.since ?? null,
  health: e.health,
  traffic: { weights: e.traffic.weights, shadow: e.traffic.shadow ?? null },
  instances: e.instances.map((i) => ({
    version: i.version,
    role: i.role,
    weight: i.weight,
    port: i.port,
    url: i.url,
    pid: i.pid ?? null,
    container_name: i.containerName ?? null,
    image: i.image ?? null,
    health: i.health,
    restarts: i.restarts,
    start_time: i.startTime,
    ...(i.replicas ? { replicas: i.replicas, rollout: i.rollout ?? null } : {}),
  })),
  ...(e.warnings ? { warnings: e.warnings } : {}),
})

const toWireReport = (r: AgreementReport) => ({
  live_version: r.liveVersion ?? null,
  shadow_version: r.shadowVersion ?? null,
  shadowed_requests: r.shadowedRequests,
  shadow_errors: r.shadowErrors,
  compared_rows: r.comparedRows,
  label_agreement: r.labelAgreement,
  mean_absolute_difference: r.meanAbsoluteDifference,
})

const toWireKeys = (k: RevealedKeys) => ({
  primary_key: k.primary,
  secondary_key: k.secondary,
  primary_creation_time: k.primaryCreated,
  secondary_creation_time: k.secondaryCreated,
})

const toWireTraffic = (t: InstanceTraffic) => ({
  version: t.version,
  role: t.role,
  url: t.url,
  requests_per_second: t.requestsPerSecond ?? null,
  errors_per_second: t.errorsPerSecond ?? null,
  client_errors_per_second: t.clientErrorsPerSecond ?? null,
  p50_ms: t.p50Ms ?? null,
  p99_ms: t.p99Ms ?? null,
  requests_total: t.requestsTotal ?? null,
  window_seconds: t.windowSeconds ?? null,
  error: t.error ?? null,
})

const outcome = (r: { change: DeployChange; endpoint: EndpointStatus }) => ({ change: toWireChange(r.change), endpoint: toWireEndpoint(r.endpoint) })

/** `/api/2.0/wharf/deployments/...`: what `wharf deploy|promote|rollback|deployments` call. */
export function deploymentRoutes(plane: ControlPlane, meter = new TrafficMeter()): Route<DeployContext>[] {
  return [
    get('/deployments/environments', z.object({}), async () => ({
      environments: [...plane.environments.values()].map((e) => ({ name: e.name, target: e.target })),
    })),
    get('/deployments/list', z.object({ environment: name.optional() }), async (q) => ({ endpoints: (await plane.list(q.environment)).map(toWireEndpoint) })),
    post(
      '/deployments/deploy',
      z.object({
        model_name: name,
        environment: name,
        version: version.optional(),
        alias: name.optional(),
        weight: double.optional(),
        shadow_percent: double.optional(),
      }),
      async (b, { actor }) =>
        outcome(
          await plane.deploy({
            modelName: b.model_name,
            environment: b.environment,
            version: b.version,
            alias: b.alias,
            weight: b.weight,
            shadowPercent: b.shadow_percent,
            actor,
          }),
        ),
    ),
    post('/deployments/render', z.object({ model_name: name, environment: name, version: version.optional(), alias: name.optional() }), async (b) => ({
      manifests: await plane.render({ modelName: b.model_name, environment: b.environment, version: b.version, alias: b.alias }),
    })),
    post('/deployments/promote', z.object({ model_name: name, from_environment: name, to_environment: name, alias: name.optional() }), async (b, { actor }) =>
      outcome(await plane.promote({ modelName: b.model_name, from: b.from_environment, to: b.to_environment, alias: b.alias, actor })),
    ),
    post('/deployments/rollback', z.object({ model_name: name, environment: name }), async (b, { actor }) =>
      outcome(await plane.rollback({ modelName: b.model_name, environment: b.environment, actor })),
    ),
    post(
      '/deployments/traffic',
      z.object({ model_name: name, environment: name, weights: z.record(z.string(), double).optional(), shadow_percent: double.optional() }),
      async (b, { actor }) =>
        outcome(await plane.setTraffic({ modelName: b.model_name, environment: b.environment, weights: b.weights, shadowPercent: b.shadow_percent, actor })),
    ),
    post('/deployments/undeploy', z.object({ model_name: name, environment: name }), async (b, { actor }) => ({
      change: toWireChange((await plane.undeploy({ modelName: b.model_name, environment: b.environment, actor })).change),
    })),
    get('/deployments/history', z.object({ environment: name.optional(), model_name: name.optional(), max_results: int64.optional() }), async (q) => ({
      changes: (await plane.history({ environment: q.environment, modelName: q.model_name, limit: q.max_results })).map(toWireChange),
    })),
    // With window_seconds, over the requests shadowed in that much of the past (the monitor gate's window).
    get('/deployments/agreement', z.object({ environment: name, model_name: name, window_seconds: double.optional() }), async (q) => ({
      reports: (await plane.agreement(q.environment, q.model_name, q.window_seconds === undefined ? undefined : q.window_seconds * 1000)).map(toWireReport),
    })),
    get('/deployments/keys', z.object({ environment: name, model_name: name }), async (q) => toWireKeys(await plane.endpointKeys(q.environment, q.model_name))),
    post('/deployments/keys/regenerate', z.object({ environment: name, model_name: name, key: z.enum(['primary', 'secondary']) }), async (b, { actor }) =>
      toWireKeys(await plane.regenerateKey({ environment: b.environment, modelName: b.model_name, slot: b.key, actor })),
    ),
    // Live request rate and p50/p99 latency per instance, scraped from the serving processes and pods.
    get('/deployments/live-metrics', z.object({ environment: name.optional(), model_name: name.optional() }), async (q) => {
      const endpoints = (await plane.list(q.environment)).filter((e) => q.model_name === undefined || e.modelName === q.model_name)
      return {
        endpoints: await Promise.all(
          endpoints.map(async (e) => ({
            environment: e.environment,
            model_name: e.modelName,
            instances: (await meter.measure(await plane.metricsSources(e))).map(toWireTraffic),
          })),
        ),
      }
    }),
    get('/deployments/logs', z.object({ environment: name, model_name: name, version, max_lines: int64.optional() }), async (q) => ({
      log: await plane.logs({ environment: q.environment, modelName: q.model_name, version: q.version, maxLines: Math.min(q.max_lines ?? 200, 10_000) }),
    })),
  ]
}
