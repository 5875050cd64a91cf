/**
 * Every setting Wharf reads, declared once: its flag, its environment variable, how it is parsed,
 * its default and why it exists. Precedence is flag, then `WHARF_*` variable, then default.
 * Nothing else in Wharf reads `process.env`; commands call `loadConfig` once at start and get a
 * frozen object, or a ConfigError that names the bad setting.
 */
import { isIP } from 'node:net'

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
    throw new ConfigError(`${name} must be sqlite:///PATH (relative), sqlite:////PATH (absolute) or postgresql://..., got '${raw}'`)
  }
  return raw
}

const positiveInt: Parser<number> = (raw, name) => {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new ConfigError(`${name} must be a whole number of at least 1, got '${raw}'`)
  return Number(raw)
}

const durability: Parser<'full' | 'normal'> = (raw, name) => {
  if (raw !== 'full' && raw !== 'normal') throw new ConfigError(`${name} must be 'full' or 'normal', got '${raw}'`)
  return raw
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
  webhookMaxAttempts: { env: ['WHARF_WEBHOOK_MAX_ATTEMPTS'], parse: positiveInt, fallback: 8, why: 'attempts per webhook delivery before it is marked failed' } as Setting<number>,
  webhookTimeoutMs: { env: ['WHARF_WEBHOOK_TIMEOUT_MS'], parse: positiveInt, fallback: 10000, why: 'how long one webhook delivery attempt may take' } as Setting<number>,
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
} as const

type Settings = typeof settings
export type Config = { readonly [K in keyof Settings]: Settings[K] extends Setting<infer T> ? T : never }
export type ConfigFlags = { readonly [K in keyof Settings]?: string | undefined }

const flagName = (key: string) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())

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

/** One line per setting, for `--help` texts and the README. */
export function describeSettings(): string[] {
  return Object.entries(settings).map(([key, s]) => `${flagName(key)} / ${s.env.join(' or ')}: ${s.why}`)
}
