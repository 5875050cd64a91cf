import { createHash } from 'node:crypto'
import { keysFileText } from '../endpoint-keys.js'
import { type KubernetesEnvironment, servesGrpc } from '../environments.js'
import { type EndpointNames, ownerAnnotation } from './names.js'
import type { RouteConfig } from './route-config.js'

/** A Kubernetes object as plain data (what the API takes and `--dry-run` prints). */
export interface Manifest {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: {
    readonly name: string
    readonly namespace?: string
    readonly labels?: Record<string, string>
    readonly annotations?: Record<string, string>
  }
  readonly spec?: Record<string, unknown>
  readonly [field: string]: unknown
}

/** What every object of one endpoint is built from. */
export interface EndpointInput {
  readonly env: KubernetesEnvironment
  readonly names: EndpointNames
  readonly wharfVersion: string
  /** The Secret the kubelet pulls images with, if any. */
  readonly pullSecret?: string | undefined
}

export const servePort = 8080
export const routerHealthPort = 8081
/** KServe V2 gRPC in the serving pods (`wharf serve --grpc-port`, the port KServe's runtimes use). */
export const serveGrpcPort = 8081
/** Where the router pods take gRPC connections and pass them through to the live version. */
export const routerGrpcPort = 8082
/** The endpoint Service's gRPC port when the environment names none. */
export const defaultGrpcServicePort = 8081
/** Marks a Service port as HTTP/2 without TLS (KEP-3726), which gRPC is: gateways and meshes then proxy it as such. */
const h2c = 'kubernetes.io/h2c'
const serveUid = 10001
const keysDir = '/etc/wharf/keys'

/** Whether the image has the model inside (its tag names the version) or downloads it at start. */
export const isModelInImage = (template: string) => template.includes('{version}')

export const imageOf = (template: string, names: EndpointNames, version: string) =>
  template.replaceAll('{model}', names.base.slice('wharf-'.length)).replaceAll('{version}', version)

/** True when a URI carries credentials (user:password@ or a token in the query): those go to a Secret. */
export const hasCredentials = (uri: string) => {
  const url = new URL(uri)
  return url.username !== '' || url.password !== '' || /(^|&)(token|key|sig|password|secret)=/i.test(url.search.slice(1))
}

function metadata(input: EndpointInput, name: string, component: 'serve' | 'router' | 'endpoint', extraLabels: Record<string, string> = {}) {
  return {
    name,
    namespace: input.env.namespace,
    labels: { ...input.names.labels(component), ...extraLabels },
    annotations: { [ownerAnnotation]: input.names.owner, 'wharf.io/model': input.names.modelName, 'wharf.io/wharf-version': input.wharfVersion },
  }
}

/** Pod Security "restricted": non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp, read-only root. */
const restrictedContainer = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } }
const restrictedPod = { runAsNonRoot: true, runAsUser: serveUid, runAsGroup: serveUid, fsGroup: serveUid, seccompProfile: { type: 'RuntimeDefault' } }
// Endpoints are taken off the Service before the process hears SIGTERM (kube-proxy needs a moment).
const drainFirst = { preStop: { sleep: { seconds: 5 } } }

function resourcesOf(env: KubernetesEnvironment) {
  const requests = { cpu: '250m', memory: '256Mi', ...env.resources?.requests }
  const limits = { cpu: '1', memory: '1Gi', ...env.resources?.limits }
  return { requests, limits }
}

function podSpec(input: EndpointInput, containers: unknown[], volumes: unknown[]) {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: restrictedPod,
    terminationGracePeriodSeconds: 40,
    ...(input.pullSecret ? { imagePullSecrets: [{ name: input.pullSecret }] } : {}),
    containers,
    volumes,
  }
}

/** The serving container's environment: model cache on an emptyDir, keys file, tracking URI (from the Secret when it holds credentials). */
function serveEnv(input: EndpointInput, modelInImage: boolean) {
  const { env } = input
  const vars: unknown[] = [
    { name: 'HOME', value: '/tmp' },
    { name: 'WHARF_SERVE_MODEL_CACHE_DIR', value: '/var/cache/wharf' },
    { name: 'WHARF_SERVE_DRAIN_TIMEOUT_MS', value: '25000' },
    // The KServe V2 model name (HTTP and gRPC) is the registered one, also for an image whose model is at /opt/model.
    { name: 'WHARF_SERVE_MODEL_NAME', value: input.names.modelName },
  ]
  if (env.authMode === 'key') vars.push({ name: 'WHARF_SERVE_API_KEYS_FILE', value: `${keysDir}/keys` })
  // Read by `wharf serve` as --grpc-port, also when the image's own entrypoint starts it.
  if (servesGrpc(env)) vars.push({ name: 'WHARF_SERVE_GRPC_PORT', value: String(serveGrpcPort) })
  if (env.trackingUri && !modelInImage) {
    vars.push(
      hasCredentials(env.trackingUri)
        ? { name: 'WHARF_TRACKING_URI', valueFrom: { secretKeyRef: { name: input.names.configSecret, key: 'WHARF_TRACKING_URI' } } }
        : { name: 'WHARF_TRACKING_URI', value: env.trackingUri },
    )
  }
  return vars
}

/**
 * One version's Deployment. Liveness asks a route that answers while the model loads; the startup
 * probe gives a download up to five minutes; readiness waits for the loaded model. The replica count
 * is left out: Wharf sets it through the scale subresource, an autoscaler through the same, and an
 * apply that named it would take it back (and reset it when left out later).
 */
export function buildVersionDeployment(input: EndpointInput, version: string, imageTemplate: string): Manifest {
  const { env, names } = input
  const modelInImage = isModelInImage(imageTemplate)
  const versionLabels = { 'wharf.io/model-version': version }
  const command = modelInImage
    ? undefined
    : ['node', '/opt/wharf/bin/wharf.js', 'serve', '--model-uri', `models:/${names.modelName}/${version}`, '--host', '0.0.0.0', '--port', String(servePort)]
  const mounts = [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'model-cache', mountPath: '/var/cache/wharf' },
  ]
  const volumes: unknown[] = [
    { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
    { name: 'model-cache', emptyDir: { sizeLimit: '4Gi' } },
  ]
  if (env.authMode === 'key') {
    mounts.push({ name: 'keys', mountPath: keysDir, readOnly: true } as never)
    volumes.push({ name: 'keys', secret: { secretName: names.keysSecret, defaultMode: 0o440, items: [{ key: 'keys', path: 'keys' }] } })
  }
  const container = {
    name: 'serve',
    image: imageOf(imageTemplate, names, version),
    ...(command ? { command } : {}),
    ports: [
      { name: 'http', containerPort: servePort, protocol: 'TCP' },
      ...(servesGrpc(env) ? [{ name: 'grpc', containerPort: serveGrpcPort, protocol: 'TCP' }] : []),
    ],
    ...(env.credentialsSecret ? { envFrom: [{ secretRef: { name: env.credentialsSecret, optional: false } }] } : {}),
    env: serveEnv(input, modelInImage),
    startupProbe: { httpGet: { path: '/v2/health/live', port: 'http' }, initialDelaySeconds: 1, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 150 },
    readinessProbe: { httpGet: { path: '/v2/health/ready', port: 'http' }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: '/v2/health/live', port: 'http' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    lifecycle: drainFirst,
    resources: resourcesOf(env),
    securityContext: restrictedContainer,
    volumeMounts: mounts,
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(input, names.version(version), 'serve', versionLabels),
    spec: {
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: env.rolloutTimeoutSeconds,
      selector: { matchLabels: { 'app.kubernetes.io/instance': names.base, 'app.kubernetes.io/component': 'serve', ...versionLabels } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { ...names.labels('serve'), ...versionLabels }, annotations: { 'wharf.io/model': names.modelName } },
        spec: podSpec(input, [container], volumes),
      },
    },
  }
}

/** One version's Service: the router reaches the version's pods through its cluster IP. */
export function buildVersionService(input: EndpointInput, version: string): Manifest {
  const { names } = input
  const versionLabels = { 'wharf.io/model-version': version }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(input, names.version(version), 'serve', versionLabels),
    spec: {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/instance': names.base, 'app.kubernetes.io/component': 'serve', ...versionLabels },
      ports: [
        { name: 'http', port: servePort, targetPort: 'http', protocol: 'TCP' },
        ...(servesGrpc(input.env) ? [{ name: 'grpc', port: serveGrpcPort, targetPort: 'grpc', protocol: 'TCP', appProtocol: h2c }] : []),
      ],
    },
  }
}

/** A short hash of the router's configuration, carried by its pods, to know when all of them have it. */
export const routeConfigHash = (config: RouteConfig) => createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12)

/**
 * Wharf's traffic router in front of the versions (the same router as the local targets): weights,
 * a shadow copy, retries while versions come and go. Its configuration is in the pod template, so a
 * traffic change is a rolling update of the router, watched like any rollout.
 */
export function buildRouterDeployment(input: EndpointInput, image: string, config: RouteConfig): Manifest {
  const { env, names } = input
  const hash = { 'wharf.io/traffic': routeConfigHash(config) }
  const grpc = servesGrpc(env)
  const container = {
    name: 'router',
    image,
    command: [
      'node',
      '/opt/wharf/bin/wharf.js',
      'route',
      '--port',
      String(servePort),
      '--health-port',
      String(routerHealthPort),
      ...(grpc ? ['--grpc-port', String(routerGrpcPort)] : []),
    ],
    ports: [
      { name: 'http', containerPort: servePort, protocol: 'TCP' },
      { name: 'health', containerPort: routerHealthPort, protocol: 'TCP' },
      ...(grpc ? [{ name: 'grpc', containerPort: routerGrpcPort, protocol: 'TCP' }] : []),
    ],
    env: [
      { name: 'HOME', value: '/tmp' },
      { name: 'WHARF_ROUTE_CONFIG', value: JSON.stringify(config) },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 'health' }, initialDelaySeconds: 1, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: '/live', port: 'health' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    lifecycle: drainFirst,
    resources: { requests: { cpu: '100m', memory: '96Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    securityContext: restrictedContainer,
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(input, names.router, 'router'),
    spec: {
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: env.rolloutTimeoutSeconds,
      selector: { matchLabels: { 'app.kubernetes.io/instance': names.base, 'app.kubernetes.io/component': 'router' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { ...names.labels('router'), ...hash } },
        spec: podSpec(input, [container], [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]),
      },
    },
  }
}

/** The endpoint's Service (ClusterIP, NodePort or LoadBalancer as the environment says), in front of the router. */
export function buildEndpointService(input: EndpointInput): Manifest {
  const { env, names } = input
  const port = {
    name: 'http',
    port: env.servicePort,
    targetPort: 'http',
    protocol: 'TCP',
    ...(env.service.type !== 'ClusterIP' && env.service.nodePort ? { nodePort: env.service.nodePort } : {}),
  }
  // The gRPC port's node port (NodePort, LoadBalancer) is chosen by the cluster; `grpc_url` reports it.
  const grpc = { name: 'grpc', port: env.grpcPort ?? defaultGrpcServicePort, targetPort: 'grpc', protocol: 'TCP', appProtocol: h2c }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(input, names.base, 'endpoint'),
    spec: {
      type: env.service.type,
      selector: { 'app.kubernetes.io/instance': names.base, 'app.kubernetes.io/component': 'router' },
      ports: servesGrpc(env) ? [port, grpc] : [port],
    },
  }
}

/** An Ingress to the endpoint's Service, with TLS from a Secret when the environment names one. */
export function buildIngress(input: EndpointInput): Manifest | undefined {
  const { env, names } = input
  if (!env.ingress) return undefined
  const backend = { service: { name: names.base, port: { number: env.servicePort } } }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: metadata(input, names.base, 'endpoint'),
    spec: {
      ...(env.ingress.className ? { ingressClassName: env.ingress.className } : {}),
      ...(env.ingress.tlsSecret ? { tls: [{ hosts: [env.ingress.host], secretName: env.ingress.tlsSecret }] } : {}),
      rules: [{ host: env.ingress.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
    },
  }
}

/** The autoscaler follows the live version's Deployment. */
export function buildAutoscaler(input: EndpointInput, liveVersion: string): Manifest | undefined {
  const { env, names } = input
  const scaling = env.autoscaling
  if (!scaling) return undefined
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: metadata(input, names.base, 'serve'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.version(liveVersion) },
      minReplicas: scaling.minReplicas,
      maxReplicas: Math.max(scaling.minReplicas, scaling.maxReplicas),
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scaling.targetCpuUtilization } } }],
    },
  }
}

/** Keeps pods serving during node drains: at most one unavailable unless `minAvailable` says otherwise. */
export function buildDisruptionBudget(input: EndpointInput, component: 'serve' | 'router'): Manifest {
  const { env, names } = input
  const budget = component === 'serve' && env.minAvailable !== undefined ? { minAvailable: env.minAvailable } : { maxUnavailable: 1 }
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(input, component === 'serve' ? names.base : names.router, component),
    spec: { ...budget, selector: { matchLabels: { 'app.kubernetes.io/instance': names.base, 'app.kubernetes.io/component': component } } },
  }
}

/**
 * The endpoint keys as the pods see them: sha256 digests only, one per line (primary, secondary),
 * then the digest of the control plane's metrics-only key, with which it reads the pods' /metrics.
 */
export function buildKeysSecret(input: EndpointInput, digests: readonly string[], metricsDigest?: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(input, input.names.keysSecret, 'serve'),
    type: 'Opaque',
    stringData: { keys: keysFileText(digests, metricsDigest) },
  }
}

/** Settings the pods must not see in their spec: a tracking URI with credentials. */
export function buildConfigSecret(input: EndpointInput): Manifest | undefined {
  const uri = input.env.trackingUri
  if (!uri || !hasCredentials(uri) || isModelInImage(input.env.image ?? '{version}')) return undefined
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(input, input.names.configSecret, 'serve'),
    type: 'Opaque',
    stringData: { WHARF_TRACKING_URI: uri },
  }
}

/** A registry login for the kubelet (kubernetes.io/dockerconfigjson). */
export function buildPullSecret(input: EndpointInput, registryHost: string, username: string, password: string): Manifest {
  const auth = Buffer.from(`${username}:${password}`).toString('base64')
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(input, input.names.pullSecret, 'endpoint'),
    type: 'kubernetes.io/dockerconfigjson',
    stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [registryHost]: { username, password, auth } } }) },
  }
}
