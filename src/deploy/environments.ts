import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { invalidParameter } from '../errors.js'
import { monitoringSchema } from './monitoring-settings.js'

const targetKinds = ['local', 'container', 'kubernetes'] as const
export type TargetKind = (typeof targetKinds)[number]

const port = z.number().int().min(1).max(65535)
const quantity = z.union([z.string().regex(/^[0-9.]+[a-zA-Z]*$/, 'expected a quantity such as 500m or 256Mi'), z.number().positive()])
const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() })

/**
 * KServe V2 over gRPC beside HTTP: each instance runs `wharf serve --grpc-port`, and the endpoint
 * passes gRPC connections through to its live version on `grpcPort` (local and container targets:
 * chosen when absent; kubernetes: the endpoint Service's gRPC port, 8081 when absent).
 */
const grpcSettings = {
  grpc: z.boolean().default(false),
  /** The endpoint's gRPC port (implies `grpc: true`). */
  grpcPort: port.optional(),
}

/** Azure ML's auth modes: `key` (primary and secondary endpoint keys, the default) or `none`. */
const authMode = z.enum(['key', 'none']).default('key')

/**
 * Models without an onnx flavor (scikit-learn, XGBoost, LightGBM logged with their own MLflow
 * flavors) are served by a pyfunc worker in `pythonEnv`, a Python environment with mlflow and the
 * model's libraries (`wharf serve --python-env`). A model stored as a pickle runs code when it is
 * loaded, so it is refused unless `allowPickle` is true (`--allow-pickle`); the instance's log, and
 * the deploy's error, say which flavor needed it.
 */
const pyfuncSettings = {
  pythonEnv: z.string().min(1).optional(),
  allowPickle: z.boolean().optional(),
}

const localSchema = z.strictObject({
  target: z.literal('local'),
  authMode,
  /** The router's port; chosen and remembered when absent. */
  port: port.optional(),
  ...grpcSettings,
  ...pyfuncSettings,
  description: z.string().optional(),
  monitoring: monitoringSchema.optional(),
})

const containerSchema = z.strictObject({
  target: z.literal('container'),
  authMode,
  port: port.optional(),
  /** podman or docker; the first one found when absent. */
  runtime: z.enum(['podman', 'docker']).optional(),
  /** Base image for the serving images built for this environment. */
  base: z.string().min(1).optional(),
  ...grpcSettings,
  description: z.string().optional(),
  monitoring: monitoringSchema.optional(),
})

const kubernetesSchema = z.strictObject({
  target: z.literal('kubernetes'),
  authMode,
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS label such as ml-prod')
    .default('default'),
  /** Pods of the live version when there is no autoscaler. */
  replicas: z.number().int().min(0).default(2),
  /** Default: the server's KUBECONFIG. */
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  /**
   * Image to run; `{model}` and `{version}` are replaced. Without `{version}` the pod downloads the
   * model URI at start. Absent: Wharf builds the version's image and pushes it to `registry`.
   */
  image: z.string().min(1).optional(),
  /** Where Wharf pushes the images it builds (`REGISTRY/wharf-<model>:v<version>`), e.g. myacr.azurecr.io/ml. */
  registry: z
    .string()
    .regex(/^[a-zA-Z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/, 'expected HOST[:PORT][/PATH] such as myacr.azurecr.io/ml')
    .optional(),
  /** An existing Secret for pulling images; without it Wharf makes one from the server's registry credentials. */
  imagePullSecret: z.string().min(1).optional(),
  /** Secret holding WHARF_TRACKING_URI / WHARF_TRACKING_TOKEN (and object-store credentials) for the pods. */
  credentialsSecret: z.string().min(1).optional(),
  trackingUri: z.string().url().optional(),
  servicePort: port.default(80),
  /** How clients outside the cluster reach the endpoint. */
  service: z
    .strictObject({ type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'), nodePort: z.number().int().min(30000).max(32767).optional() })
    .default({ type: 'ClusterIP' }),
  ingress: z
    .strictObject({
      host: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a host name'),
      tlsSecret: z.string().min(1).optional(),
      className: z.string().min(1).optional(),
    })
    .optional(),
  /** The endpoint's URL when something in front of the Service (a gateway, DNS) decides it. */
  url: z.string().url().optional(),
  resources: z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() }).optional(),
  autoscaling: z
    .strictObject({
      minReplicas: z.number().int().min(1),
      maxReplicas: z.number().int().min(1),
      targetCpuUtilization: z.number().int().min(1).max(100).default(70),
    })
    .optional(),
  minAvailable: z.union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'expected a count or a percentage such as 50%')]).optional(),
  /** Pods of Wharf's traffic router in front of the versions. */
  routerReplicas: z.number().int().min(1).max(20).default(2),
  /** How long a rollout may take before it is rolled back. */
  rolloutTimeoutSeconds: z.number().int().min(10).max(3600).default(300),
  ...grpcSettings,
  description: z.string().optional(),
  monitoring: monitoringSchema.optional(),
})

export type LocalEnvironment = z.infer<typeof localSchema> & { readonly name: string }
export type ContainerEnvironment = z.infer<typeof containerSchema> & { readonly name: string }
export type KubernetesEnvironment = z.infer<typeof kubernetesSchema> & { readonly name: string }
export type Environment = LocalEnvironment | ContainerEnvironment | KubernetesEnvironment

/** Whether the environment's endpoints expose gRPC. */
export const servesGrpc = (env: Environment | undefined): boolean => env !== undefined && (env.grpc || env.grpcPort !== undefined)

const schemaByTarget = { local: localSchema, container: containerSchema, kubernetes: kubernetesSchema } as const

/** Without a wharf.yaml (or without its `environments` key) there are two local environments. */
const defaultEnvironments: ReadonlyMap<string, Environment> = new Map<string, Environment>([
  ['staging', { name: 'staging', target: 'local', authMode: 'key', grpc: false }],
  ['production', { name: 'production', target: 'local', authMode: 'key', grpc: false }],
])

const envName = /^[a-z][a-z0-9-]{0,39}$/

function describeIssue(file: string, prefix: readonly (string | number)[], issue: z.core.$ZodIssue): string {
  const path = [...prefix, ...issue.path.map(String)].join('.')
  if (issue.code === 'unrecognized_keys')
    return `${file}: ${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
  return `${file}: ${path}: ${issue.message}`
}

/**
 * Reads the `environments` section of a wharf.yaml document. Other top-level keys (pipelines,
 * variables) belong to other parts of Wharf and are left alone. Throws INVALID_PARAMETER_VALUE
 * naming the bad key, e.g. `wharf.yaml: environments.production.replicas: ...`.
 */
export function parseEnvironments(text: string, file = 'wharf.yaml'): Map<string, Environment> {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    throw invalidParameter(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err })
  }
  if (doc === null || doc === undefined) return new Map(defaultEnvironments)
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalidParameter(`${file}: expected a mapping at the top level`)
  const section = (doc as Record<string, unknown>).environments
  if (section === undefined || section === null) return new Map(defaultEnvironments)
  if (typeof section !== 'object' || Array.isArray(section))
    throw invalidParameter(`${file}: environments: expected a mapping of environment names to settings`)
  const out = new Map<string, Environment>()
  for (const [name, raw] of Object.entries(section as Record<string, unknown>)) {
    if (!envName.test(name)) throw invalidParameter(`${file}: environments.${name}: names are lower-case letters, digits and '-', starting with a letter`)
    const entry = raw === null || raw === undefined ? {} : raw
    if (typeof entry !== 'object' || Array.isArray(entry)) throw invalidParameter(`${file}: environments.${name}: expected a mapping such as { target: local }`)
    const target = (entry as { target?: unknown }).target ?? 'local'
    if (typeof target !== 'string' || !(targetKinds as readonly string[]).includes(target)) {
      throw invalidParameter(`${file}: environments.${name}.target: expected one of ${targetKinds.join(', ')}, got ${JSON.stringify(target)}`)
    }
    const parsed = schemaByTarget[target as TargetKind].safeParse({ ...entry, target })
    if (!parsed.success) throw invalidParameter(describeIssue(file, ['environments', name], parsed.error.issues[0]!))
    out.set(name, { ...parsed.data, name } as Environment)
  }
  return out
}

/** Reads environments from a file; a missing file means the defaults. */
export async function loadEnvironments(path: string): Promise<Map<string, Environment>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map(defaultEnvironments)
    throw err
  }
  return parseEnvironments(text, path)
}
