/**
 * Every setting Wharf reads, declared once: its flag, its environment variable, how it is parsed,
 * its default and why it exists. Precedence is flag, then `WHARF_*` variable, then default.
 * Nothing else in Wharf reads `process.env`; commands call `loadConfig` once at start and get a
 * frozen object, or a ConfigError that names the bad setting.
 */
import { isIP } from 'node:net'
import { userInfo } from 'node:os'

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

type Parser<T> = (raw: string, name: string) => T

interface Setting<T> {
  readonly env: readonly string[]
  readonly parse: Parser<T>
  readonly fallback: T
  readonly why: string
}

const text: Parser<string> = (raw) => raw
const optionalText: Parser<string | undefined> = (raw) => (raw === '' ? undefined : raw)

const port: Parser<number> = (raw, name) => {
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 0 || n > 65535) throw new ConfigError(`${name} must be a port number from 0 to 65535, got '${raw}'`)
  return n
}

const yesNo: Parser<boolean> = (raw, name) => {
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0' || raw === '') return false
  throw new ConfigError(`${name} must be true or false, got '${raw}'`)
}

const hostName: Parser<string> = (raw, name) => {
  if (isIP(raw) || /^[A-Za-z0-9.-]+$/.test(raw)) return raw
  throw new ConfigError(`${name} must be an IP address or a host name, got '${raw}'`)
}

const list: Parser<readonly string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')

const logLevel: Parser<string> = (raw, name) => {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
  if (!levels.includes(raw)) throw new ConfigError(`${name} must be one of ${levels.join(', ')}, got '${raw}'`)
  return raw
}

const storeUri: Parser<string> = (raw, name) => {
  if (!/^(sqlite:\/\/\/.+|sqlite:\/\/\/:memory:|postgres(ql)?:\/\/.+)$/.test(raw)) {
    // A postgresql:// URI carries a password: never echo it.
    throw new ConfigError(
      `${name} must be sqlite:///PATH (relative), sqlite:////PATH (absolute) or postgresql://..., got '${raw.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')}'`,
    )
  }
  return raw
}

const positiveInt: Parser<number> = (raw, name) => {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new ConfigError(`${name} must be a whole number of at least 1, got '${raw}'`)
  return Number(raw)
}

const byteCount: Parser<number> = (raw, name) => {
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) throw new ConfigError(`${name} must be a number of bytes of at least 1, got '${raw}'`)
  return Number(raw)
}

const durability: Parser<'full' | 'normal'> = (raw, name) => {
  if (raw !== 'full' && raw !== 'normal') throw new ConfigError(`${name} must be 'full' or 'normal', got '${raw}'`)
  return raw
}

const nonNegativeInt: Parser<number> = (raw, name) => {
  if (!/^\d{1,9}$/.test(raw)) throw new ConfigError(`${name} must be a whole number of at least 0, got '${raw}'`)
  return Number(raw)
}

const fraction: Parser<number> = (raw, name) => {
  const n = Number(raw)
  if (raw.trim() === '' || !(n >= 0 && n <= 1)) throw new ConfigError(`${name} must be a number from 0 to 1, got '${raw}'`)
  return n
}

const backendChoice: Parser<'auto' | 'native' | 'onnxruntime'> = (raw, name) => {
  if (raw !== 'auto' && raw !== 'native' && raw !== 'onnxruntime') throw new ConfigError(`${name} must be auto, native or onnxruntime, got '${raw}'`)
  return raw
}

const command: Parser<readonly string[] | undefined> = (raw, name) => {
  if (raw.trim() === '') return undefined
  if (raw.trim().startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      throw new ConfigError(`${name} must be a JSON array of strings or a space-separated command, got '${raw}'`)
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === 'string'))
      throw new ConfigError(`${name} must be a non-empty JSON array of strings`)
    return parsed as string[]
  }
  return raw.trim().split(/\s+/)
}

/** An http(s) origin and nothing else: requests are sent to it with their own paths. */
const originUrl: Parser<string | undefined> = (raw, name) => {
  if (raw === '') return undefined
  let url: URL | undefined
  try {
    url = new URL(raw)
  } catch {
    url = undefined
  }
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.pathname !== '/'
  )
    throw new ConfigError(
      `${name} must be an http:// or https:// URL with no path, query or credentials, e.g. http://10.0.0.5:5000, got '${raw.replace(/\/\/[^@/]*@/, '//***@')}'`,
    )
  return url.origin
}

const containerRuntime: Parser<'podman' | 'docker' | undefined> = (raw, name) => {
  if (raw === '') return undefined
  if (raw !== 'podman' && raw !== 'docker') throw new ConfigError(`${name} must be podman or docker, got '${raw}'`)
  return raw
}

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

const settings = {
  host: { env: ['WHARF_HOST'], parse: hostName, fallback: '127.0.0.1', why: 'bind loopback unless told otherwise' } as Setting<string>,
  port: { env: ['WHARF_PORT'], parse: port, fallback: 5000, why: "MLflow's default tracking port" } as Setting<number>,
  backendStoreUri: {
    env: ['WHARF_BACKEND_STORE_URI'],
    parse: storeUri,
    fallback: 'sqlite:///wharf-data/wharf.db',
    why: 'embedded SQLite by default; the URI form MLflow uses',
  } as Setting<string>,
  artifactsDestination: {
    env: ['WHARF_ARTIFACTS_DESTINATION'],
    parse: text,
    fallback: 'wharf-data/artifacts',
    why: 'where the artifact proxy keeps files',
  } as Setting<string>,
  maxArtifactBytes: {
    env: ['WHARF_MAX_ARTIFACT_BYTES'],
    parse: byteCount,
    fallback: 10 * 1024 ** 3,
    why: 'larger artifact uploads get 413 (they stream to the store, so this bounds disk, not memory)',
  } as Setting<number>,
  authToken: {
    env: ['WHARF_AUTH_TOKEN'],
    parse: optionalText,
    fallback: undefined,
    why: 'optional bearer token; the MLflow client sends MLFLOW_TRACKING_TOKEN',
  } as Setting<string | undefined>,
  allowedHosts: {
    env: ['WHARF_ALLOWED_HOSTS'],
    parse: list,
    fallback: [],
    why: 'extra Host header names accepted (DNS-rebinding guard); * accepts any',
  } as Setting<readonly string[]>,
  corsAllowedOrigins: {
    env: ['WHARF_CORS_ALLOWED_ORIGINS'],
    parse: list,
    fallback: [],
    why: 'browser origins other than localhost allowed to write (CSRF guard)',
  } as Setting<readonly string[]>,
  durability: {
    env: ['WHARF_DURABILITY'],
    parse: durability,
    fallback: 'full',
    why: "SQLite synchronous mode: 'full' survives power loss, 'normal' only process crashes",
  } as Setting<'full' | 'normal'>,
  webhookRetryBaseMs: {
    env: ['WHARF_WEBHOOK_RETRY_BASE_MS'],
    parse: positiveInt,
    fallback: 1000,
    why: 'wait before the first webhook retry; each later retry waits twice as long',
  } as Setting<number>,
  webhookMaxAttempts: {
    env: ['WHARF_WEBHOOK_MAX_ATTEMPTS'],
    parse: positiveInt,
    fallback: 8,
    why: 'attempts per webhook delivery before it is marked failed',
  } as Setting<number>,
  webhookTimeoutMs: {
    env: ['WHARF_WEBHOOK_TIMEOUT_MS'],
    parse: positiveInt,
    fallback: 10000,
    why: 'how long one webhook delivery attempt may take',
  } as Setting<number>,
  logLevel: { env: ['WHARF_LOG_LEVEL'], parse: logLevel, fallback: 'info', why: 'pino log level' } as Setting<string>,
  trackingUri: {
    env: ['WHARF_TRACKING_URI', 'MLFLOW_TRACKING_URI'],
    parse: optionalText,
    fallback: undefined,
    why: 'where clients (train, serve, CLI) find the server, as MLflow clients do',
  } as Setting<string | undefined>,
  trackingToken: {
    env: ['WHARF_TRACKING_TOKEN', 'MLFLOW_TRACKING_TOKEN'],
    parse: optionalText,
    fallback: undefined,
    why: 'bearer token clients send to an authenticated server',
  } as Setting<string | undefined>,
  // `wharf serve` (src/serving). Host comes from `host`; the port has its own default.
  modelUri: { env: ['WHARF_MODEL_URI'], parse: optionalText, fallback: undefined, why: 'model to serve: a directory, runs:/ or models:/ URI' } as Setting<
    string | undefined
  >,
  servePort: { env: ['WHARF_SERVE_PORT'], parse: port, fallback: 8080, why: 'scoring port (KServe and Azure ML containers listen on 8080)' } as Setting<number>,
  serveGrpcPort: {
    env: ['WHARF_SERVE_GRPC_PORT'],
    parse: port,
    fallback: undefined,
    why: 'KServe V2 over gRPC on this port as well (off unless set; KServe and Triton use 8081 / 8001)',
  } as Setting<number | undefined>,
  servePythonEnv: {
    env: ['WHARF_SERVE_PYTHON_ENV'],
    parse: optionalText,
    fallback: undefined,
    why: 'a venv with mlflow: models without an onnx flavor are served by mlflow.pyfunc in a worker there',
  } as Setting<string | undefined>,
  serveAllowPickle: {
    env: ['WHARF_SERVE_ALLOW_PICKLE'],
    parse: yesNo,
    fallback: false,
    why: 'let the Python worker load pickled models (sklearn, custom pyfunc): loading a pickle runs its code',
  } as Setting<boolean>,
  serveWorkers: {
    env: ['WHARF_SERVE_WORKERS'],
    parse: positiveInt,
    fallback: 1,
    why: 'worker processes (node:cluster), one per core to use',
  } as Setting<number>,
  serveMaxBodyBytes: {
    env: ['WHARF_SERVE_MAX_BODY_BYTES'],
    parse: positiveInt,
    fallback: 10 * 1024 * 1024,
    why: 'larger request bodies get 413 (10 MiB as MLflow caps uploads)',
  } as Setting<number>,
  serveModelName: {
    env: ['WHARF_SERVE_MODEL_NAME'],
    parse: optionalText,
    fallback: undefined,
    why: 'name in KServe routes; default: the registered name or the folder name',
  } as Setting<string | undefined>,
  serveBackend: {
    env: ['WHARF_SERVE_BACKEND'],
    parse: backendChoice,
    fallback: 'auto',
    why: 'auto: native evaluator for Wharf models, ONNX Runtime otherwise',
  } as Setting<'auto' | 'native' | 'onnxruntime'>,
  serveApiKey: {
    env: ['WHARF_SERVE_API_KEY'],
    parse: optionalText,
    fallback: undefined,
    why: 'primary key (Authorization: Bearer KEY); health routes stay open',
  } as Setting<string | undefined>,
  serveApiKeySecondary: {
    env: ['WHARF_SERVE_API_KEY_SECONDARY'],
    parse: optionalText,
    fallback: undefined,
    why: 'secondary key, so keys rotate without downtime (as Azure ML)',
  } as Setting<string | undefined>,
  serveApiKeysFile: {
    env: ['WHARF_SERVE_API_KEYS_FILE'],
    parse: optionalText,
    fallback: undefined,
    why: 'file with one key per line (primary, secondary), re-read when it changes',
  } as Setting<string | undefined>,
  serveAccessLogSampleRate: {
    env: ['WHARF_SERVE_ACCESS_LOG_SAMPLE_RATE'],
    parse: fraction,
    fallback: 0,
    why: 'share of requests written as JSON access-log lines (errors always are)',
  } as Setting<number>,
  servePollIntervalMs: {
    env: ['WHARF_SERVE_POLL_INTERVAL_MS'],
    parse: positiveInt,
    fallback: 2000,
    why: 'how often a models:/NAME@ALIAS server asks the registry where the alias points',
  } as Setting<number>,
  serveModelCacheDir: {
    env: ['WHARF_SERVE_MODEL_CACHE_DIR'],
    parse: text,
    fallback: 'wharf-data/model-cache',
    why: 'downloaded models, keyed by storage location and checked by sha256',
  } as Setting<string>,
  serveBatchMaxRows: {
    env: ['WHARF_SERVE_BATCH_MAX_ROWS'],
    parse: nonNegativeInt,
    fallback: 0,
    why: 'ONNX micro-batching: most rows per session run (0 turns it off)',
  } as Setting<number>,
  serveBatchMaxWaitUs: {
    env: ['WHARF_SERVE_BATCH_MAX_WAIT_US'],
    parse: nonNegativeInt,
    fallback: 500,
    why: 'ONNX micro-batching: longest wait for more requests, in microseconds',
  } as Setting<number>,
  serveDrainTimeoutMs: {
    env: ['WHARF_SERVE_DRAIN_TIMEOUT_MS'],
    parse: positiveInt,
    fallback: 30000,
    why: 'on SIGTERM, how long in-flight requests may take before exit',
  } as Setting<number>,
  // Deployments (src/deploy): the control plane inside `wharf server` and the deploy commands.
  projectFile: {
    env: ['WHARF_PROJECT_FILE'],
    parse: text,
    fallback: 'wharf.yaml',
    why: 'wharf.yaml: environments (and pipelines); without it, local staging and production',
  } as Setting<string>,
  deployDir: {
    env: ['WHARF_DEPLOY_DIR'],
    parse: optionalText,
    fallback: undefined,
    why: 'deployment logs and shadow logs; default: deployments/ beside the SQLite store',
  } as Setting<string | undefined>,
  serveCommand: {
    env: ['WHARF_SERVE_COMMAND'],
    parse: command,
    fallback: undefined,
    why: "command the local target runs instead of this wharf's `serve` (JSON array or words); flags are appended",
  } as Setting<readonly string[] | undefined>,
  deployReadyTimeoutMs: {
    env: ['WHARF_DEPLOY_READY_TIMEOUT_MS'],
    parse: positiveInt,
    fallback: 120000,
    why: 'how long a new version may take to become ready before a deploy fails',
  } as Setting<number>,
  routeConfig: {
    env: ['WHARF_ROUTE_CONFIG'],
    parse: optionalText,
    fallback: undefined,
    why: "`wharf route` (Wharf's router pods): versions, weights and shadow, as JSON; set by Wharf",
  } as Setting<string | undefined>,
  kubeconfig: {
    env: ['KUBECONFIG'],
    parse: optionalText,
    fallback: undefined,
    why: 'cluster of kubernetes environments that name no kubeconfig of their own',
  } as Setting<string | undefined>,
  registryUsername: {
    env: ['WHARF_REGISTRY_USERNAME'],
    parse: optionalText,
    fallback: undefined,
    why: 'registry login for pushing images (build-image --push, kubernetes registry) and for the pods pulling them',
  } as Setting<string | undefined>,
  registryPassword: {
    env: ['WHARF_REGISTRY_PASSWORD'],
    parse: optionalText,
    fallback: undefined,
    why: 'password or token of WHARF_REGISTRY_USERNAME',
  } as Setting<string | undefined>,
  replicaUrl: {
    env: ['WHARF_REPLICA_URL'],
    parse: originUrl,
    fallback: undefined,
    why: 'where other replicas on the same database reach this one (forwarded deployment requests); default: its own address, loopback when it binds 0.0.0.0',
  } as Setting<string | undefined>,
  endpointKeySecret: {
    env: ['WHARF_ENDPOINT_KEY_SECRET'],
    parse: optionalText,
    fallback: undefined,
    why: 'endpoint keys are derived from it; default: a random secret kept in the deployments folder (0600)',
  } as Setting<string | undefined>,
  containerRuntime: {
    env: ['WHARF_CONTAINER_RUNTIME'],
    parse: containerRuntime,
    fallback: undefined,
    why: 'podman or docker for images and the container target; default: whichever is installed',
  } as Setting<'podman' | 'docker' | undefined>,
  // Pipelines (src/pipeline): `wharf pipeline` and the webhook receiver in `wharf server`.
  pipelines: {
    env: ['WHARF_PIPELINES'],
    parse: list,
    fallback: [],
    why: 'wharf.yaml files (besides WHARF_PROJECT_FILE) whose pipelines the server may start and record runs of; never a path from a request',
  } as Setting<readonly string[]>,
  pipelineWebhookSecret: {
    env: ['WHARF_PIPELINE_WEBHOOK_SECRET'],
    parse: optionalText,
    fallback: undefined,
    why: 'HMAC secret of registry webhooks that start pipeline runs; triggers are off without it',
  } as Setting<string | undefined>,
  pipelineLockTimeoutMs: {
    env: ['WHARF_PIPELINE_LOCK_TIMEOUT_MS'],
    parse: positiveInt,
    fallback: 15000,
    why: "a runner whose heartbeat is older than this no longer holds its pipeline's lock",
  } as Setting<number>,
  pipelineHeartbeatMs: {
    env: ['WHARF_PIPELINE_HEARTBEAT_MS'],
    parse: positiveInt,
    fallback: 2000,
    why: 'how often a running pipeline tells the server it is alive',
  } as Setting<number>,
  pipelineModelCacheDir: {
    env: ['WHARF_PIPELINE_MODEL_CACHE_DIR'],
    parse: optionalText,
    fallback: undefined,
    why: 'models the test and gate steps download for offline predictions; default: a folder in the system temp dir',
  } as Setting<string | undefined>,
  user: {
    env: ['WHARF_USER'],
    parse: text,
    fallback: currentUser(),
    why: 'who the CLI says it is; deployment changes are recorded with it',
  } as Setting<string>,
} as const

type Settings = typeof settings
export type Config = { readonly [K in keyof Settings]: Settings[K] extends Setting<infer T> ? T : never }
export type ConfigFlags = { readonly [K in keyof Settings]?: string | undefined }

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`

/** Reads flags, then the environment, then defaults; throws a ConfigError naming the bad setting. */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {}
  for (const [key, setting] of Object.entries(settings) as [keyof Settings, Setting<unknown>][]) {
    const flag = flags[key]
    if (flag !== undefined) {
      out[key] = setting.parse(flag, flagName(key))
      continue
    }
    const envName = setting.env.find((name) => env[name] !== undefined && env[name] !== '')
    out[key] = envName ? setting.parse(env[envName] as string, envName) : setting.fallback
  }
  return Object.freeze(out) as Config
}

/**
 * The environment variables wharf.yaml names as secret sources (`secrets: {NAME: {env: VAR}}`).
 * They are read here so that config.ts stays the one reader of `process.env`.
 */
export function readEnvironmentVariables(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, env[name]]))
}
