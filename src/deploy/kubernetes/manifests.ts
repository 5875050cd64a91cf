import type { KubernetesEnvironment } from '../environments.js'

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
  readonly spec: Record<string, unknown>
}

export interface ManifestInput {
  readonly env: KubernetesEnvironment
  readonly modelName: string
  readonly version: string
  /** Overrides env.image; `{model}` and `{version}` are replaced in either. */
  readonly image?: string | undefined
  /** Publishes the serving port on the node (for `podman kube play` on one machine). */
  readonly hostPort?: number | undefined
  readonly wharfVersion: string
}

export const servePort = 8080

/** DNS-1123 name for the model: lower case, [a-z0-9-], at most 52 characters (room for suffixes). */
export function resourceName(modelName: string): string {
  const slug = modelName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 46)
  return `wharf-${slug || 'model'}`
}

/**
 * Whether the image has the model inside (built by `wharf build-image`: its tag names the version)
 * or is a plain Wharf image that downloads `models:/NAME/VERSION` at start with credentials from
 * the Secret.
 */
const isModelInImage = (template: string) => template.includes('{version}')

function container(input: ManifestInput): Record<string, unknown> {
  const { env } = input
  const template = input.image ?? env.image ?? 'localhost/wharf-{model}:v{version}'
  const image = template.replaceAll('{model}', resourceName(input.modelName).slice('wharf-'.length)).replaceAll('{version}', input.version)
  const command = isModelInImage(template)
    ? undefined
    : [
        'node',
        '/opt/wharf/bin/wharf.js',
        'serve',
        '--model-uri',
        `models:/${input.modelName}/${input.version}`,
        '--host',
        '0.0.0.0',
        '--port',
        String(servePort),
      ]
  const resources = env.resources ?? { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } }
  return {
    name: 'serve',
    image,
    ...(command ? { command } : {}),
    ports: [{ name: 'http', containerPort: servePort, protocol: 'TCP', ...(input.hostPort ? { hostPort: input.hostPort } : {}) }],
    ...(env.credentialsSecret ? { envFrom: [{ secretRef: { name: env.credentialsSecret, optional: false } }] } : {}),
    env: [
      { name: 'WHARF_SERVE_MODEL_CACHE_DIR', value: '/tmp/wharf-model-cache' },
      ...(env.trackingUri ? [{ name: 'WHARF_TRACKING_URI', value: env.trackingUri }] : []),
    ],
    readinessProbe: { httpGet: { path: '/v2/health/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: '/health', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    resources,
    securityContext: { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: { drop: ['ALL'] } },
  }
}

/** The Deployment: a rolling update that never drops below the wanted replicas (surge one, none unavailable). */
export function buildDeployment(input: ManifestInput): Manifest {
  const name = resourceName(input.modelName)
  const labels = { 'app.kubernetes.io/name': 'wharf-serve', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'wharf' }
  const podLabels = { ...labels, 'wharf.io/model-version': input.version }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: input.env.namespace,
      labels: podLabels,
      annotations: { 'wharf.io/model': input.modelName, 'wharf.io/wharf-version': input.wharfVersion },
    },
    spec: {
      // With an autoscaler the replica count is its to set; stating it here would undo its work on every apply.
      ...(input.env.autoscaling ? {} : { replicas: input.env.replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: { 'app.kubernetes.io/instance': name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: podLabels, annotations: { 'wharf.io/model': input.modelName } },
        spec: { terminationGracePeriodSeconds: 35, containers: [container(input)] },
      },
    },
  }
}

export function buildService(input: ManifestInput): Manifest {
  const name = resourceName(input.modelName)
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: input.env.namespace,
      labels: { 'app.kubernetes.io/name': 'wharf-serve', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'wharf' },
    },
    spec: {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/instance': name },
      ports: [{ name: 'http', port: input.env.servicePort, targetPort: 'http', protocol: 'TCP' }],
    },
  }
}

export function buildAutoscaler(input: ManifestInput): Manifest | undefined {
  const scaling = input.env.autoscaling
  if (!scaling) return undefined
  const name = resourceName(input.modelName)
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: input.env.namespace, labels: { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'wharf' } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: scaling.minReplicas,
      maxReplicas: Math.max(scaling.minReplicas, scaling.maxReplicas),
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scaling.targetCpuUtilization } } }],
    },
  }
}

/** Keeps pods serving during node drains: at most one unavailable unless `minAvailable` says otherwise. */
export function buildDisruptionBudget(input: ManifestInput): Manifest {
  const name = resourceName(input.modelName)
  const budget = input.env.minAvailable !== undefined ? { minAvailable: input.env.minAvailable } : { maxUnavailable: 1 }
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: input.env.namespace, labels: { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'wharf' } },
    spec: { ...budget, selector: { matchLabels: { 'app.kubernetes.io/instance': name } } },
  }
}

/** Every object of one endpoint, in apply order. */
export function buildManifests(input: ManifestInput): Manifest[] {
  return [buildDeployment(input), buildService(input), buildAutoscaler(input), buildDisruptionBudget(input)].filter((m): m is Manifest => m !== undefined)
}
