/** Hyperparameters each trainer accepts through `--param k=v`, with types and defaults. */
type ParamKind = 'number' | 'int' | 'bool' | 'int|none' | 'bool|auto' | 'task'

interface ParamDef {
  readonly kind: ParamKind
  readonly default: number | boolean | null | string
  readonly check?: (v: number) => boolean
  readonly rule?: string
}

const positive = { check: (v: number) => v > 0, rule: 'greater than 0' }
const nonNegative = { check: (v: number) => v >= 0, rule: 'at least 0' }
const fraction = { check: (v: number) => v >= 0 && v <= 1, rule: 'between 0 and 1' }
const atLeastOne = { check: (v: number) => v >= 1, rule: 'at least 1' }

const linear = { standardize: { kind: 'bool', default: false }, impute: { kind: 'bool', default: true } } as const
const cd = { tol: { kind: 'number', default: 1e-4, ...positive }, max_iter: { kind: 'int', default: 1000, ...atLeastOne } } as const

const paramDefs: Record<string, Record<string, ParamDef>> = {
  ols: { ...linear },
  ridge: { alpha: { kind: 'number', default: 1.0, ...nonNegative }, ...linear },
  lasso: { alpha: { kind: 'number', default: 1.0, ...nonNegative }, ...cd, ...linear },
  elasticnet: { alpha: { kind: 'number', default: 1.0, ...nonNegative }, l1_ratio: { kind: 'number', default: 0.5, ...fraction }, ...cd, ...linear },
  logistic: {
    C: { kind: 'number', default: 1.0, ...positive },
    max_iter: { kind: 'int', default: 1000, ...atLeastOne },
    tol: { kind: 'number', default: 1e-8, ...positive },
    standardize: { kind: 'bool', default: true },
    impute: { kind: 'bool', default: true },
  },
  gbdt: {
    task: { kind: 'task', default: 'auto' },
    learning_rate: { kind: 'number', default: 0.1, ...positive },
    max_iter: { kind: 'int', default: 100, ...atLeastOne },
    max_leaf_nodes: { kind: 'int|none', default: 31, check: (v) => v >= 2, rule: 'at least 2' },
    max_depth: { kind: 'int|none', default: null, ...atLeastOne },
    min_samples_leaf: { kind: 'int', default: 20, ...atLeastOne },
    l2_regularization: { kind: 'number', default: 0, ...nonNegative },
    max_bins: { kind: 'int', default: 255, check: (v) => v >= 2 && v <= 255, rule: 'between 2 and 255' },
    early_stopping: { kind: 'bool|auto', default: 'auto' },
    validation_fraction: { kind: 'number', default: 0.1, check: (v) => v > 0 && v < 1, rule: 'between 0 and 1 (exclusive)' },
    n_iter_no_change: { kind: 'int', default: 10, ...atLeastOne },
    tol: { kind: 'number', default: 1e-7, ...nonNegative },
  },
}

export const algorithms = Object.keys(paramDefs)

export type ParamValue = number | boolean | null | string
export type ResolvedParams = Record<string, ParamValue>

/** Parses `k=v` strings into typed values for `algorithm`, filling defaults; throws naming the bad one. */
export function resolveParams(algorithm: string, raw: readonly string[] | Readonly<Record<string, string>>): ResolvedParams {
  const defs = paramDefs[algorithm]
  if (defs === undefined) throw new Error(`unknown model '${algorithm}' (choose from ${algorithms.join(', ')})`)
  const pairs: [string, string][] = Array.isArray(raw)
    ? (raw as readonly string[]).map((p) => {
        const eq = p.indexOf('=')
        if (eq <= 0) throw new Error(`--param '${p}' must look like key=value`)
        return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()]
      })
    : Object.entries(raw)
  const out: ResolvedParams = Object.fromEntries(Object.entries(defs).map(([k, d]) => [k, d.default]))
  const seen = new Set<string>()
  for (const [key, value] of pairs) {
    const def = defs[key]
    if (def === undefined) throw new Error(`unknown parameter '${key}' for ${algorithm} (known: ${Object.keys(defs).join(', ') || 'none'})`)
    if (seen.has(key)) throw new Error(`parameter '${key}' is given twice`)
    seen.add(key)
    out[key] = parseValue(key, value, def)
  }
  return out
}

function parseValue(key: string, value: string, def: ParamDef): ParamValue {
  const lower = value.toLowerCase()
  if (def.kind === 'task') {
    if (['auto', 'regression', 'classification'].includes(lower)) return lower
    throw new Error(`parameter '${key}' must be auto, regression or classification, got '${value}'`)
  }
  if (def.kind === 'bool' || def.kind === 'bool|auto') {
    if (['true', '1', 'yes'].includes(lower)) return true
    if (['false', '0', 'no'].includes(lower)) return false
    if (def.kind === 'bool|auto' && lower === 'auto') return 'auto'
    throw new Error(`parameter '${key}' must be true or false${def.kind === 'bool|auto' ? ' or auto' : ''}, got '${value}'`)
  }
  if (def.kind === 'int|none' && (lower === 'none' || lower === 'null')) return null
  const n = Number(value)
  if (value === '' || !Number.isFinite(n)) throw new Error(`parameter '${key}' must be a number, got '${value}'`)
  if (def.kind !== 'number' && !Number.isInteger(n)) throw new Error(`parameter '${key}' must be an integer, got '${value}'`)
  if (def.check && !def.check(n)) throw new Error(`parameter '${key}' must be ${def.rule}, got ${value}`)
  return n
}
