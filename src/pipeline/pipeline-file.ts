import { readFile } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { invalidParameter } from '../errors.js'
import { pythonKeywords } from './notebook-parameters.js'
import { checkDistinctNames } from './variable-names.js'

/**
 * The pipeline part of `wharf.yaml`: variables, secrets, triggers and stages made of steps.
 * `environments` belongs to the deployment control plane (src/deploy/environments.ts) and is only
 * read here to list them in exported CI files.
 */
const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "expected a name of letters, digits, '_' and '-', starting with a letter")
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String)
/** Numbers may come as strings, since `${{ variables.x }}` is filled in as text. */
const numeric = (n: z.ZodNumber) =>
  z.union([
    n,
    z
      .string()
      .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'expected a number')
      .transform(Number)
      .pipe(n),
  ])
const text = z.union([z.string(), z.number()]).transform(String)
/** A duration such as 90s, 10m, 1h or a number of seconds. */
const duration = z.union([
  z
    .number()
    .positive()
    .transform((s) => s * 1000),
  z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'expected a duration such as 30s, 10m or 1h')
    .transform(toMs),
])

function toMs(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(raw)!
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']
}

const secret = z.union([
  z.strictObject({ env: z.string().min(1), optional: z.boolean().default(false) }),
  z.strictObject({ file: z.string().min(1), optional: z.boolean().default(false) }),
])

/** Rows held out from a CSV the same way `wharf train` splits it (same test size and seed). */
const holdout = {
  data: z.string().min(1),
  target: z.string().min(1),
  test_size: numeric(z.number().gt(0).lt(1)).default(0.2),
  seed: numeric(z.number().int().min(0)).default(42),
  max_rows: numeric(z.number().int().min(1)).default(100),
}

/** A Python name a parameter may have: it becomes `name = value` in the notebook's injected cell. */
const pythonName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a notebook parameter is a Python name: letters, digits and _')
  .refine((n) => !pythonKeywords.has(n), { message: 'a Python keyword cannot name a notebook parameter' })

/** `train: { notebook: train.ipynb, python: .venv/bin/python, parameters: {...} }` (steps/notebook-step.ts). */
const notebookTrainStep = z.strictObject({
  notebook: z.string().min(1),
  /** The interpreter of the environment the notebook runs in; a bare name is looked up on PATH. */
  python: z.string().min(1).default('python3'),
  parameters: z.record(pythonName, z.json()).default({}),
  experiment: z.string().optional(),
  timeout: duration.optional(),
})

const trainStep = z.union([
  z.strictObject({
    data: z.string().min(1),
    target: z.string().min(1),
    model: z.string().min(1),
    params: z.record(z.string(), scalar).default({}),
    experiment: z.string().default('Default'),
    run_name: z.string().optional(),
    test_size: numeric(z.number().gt(0).lt(1)).optional(),
    seed: numeric(z.number().int().min(0)).optional(),
  }),
  z.strictObject({ command: z.string().min(1), experiment: z.string().optional(), timeout: duration.optional() }),
  notebookTrainStep,
])
const registerStep = z.strictObject({ model: z.string().min(1), run: z.string().optional(), artifact_path: z.string().default('model') })
const deployStep = z.strictObject({ model: z.string().min(1), version: text, environment: z.string().min(1) })
const testStep = z.strictObject({
  model: z.string().min(1),
  version: text,
  environment: z.string().min(1),
  ...holdout,
  tolerance: numeric(z.number().min(0)).default(1e-6),
  max_latency_ms: numeric(z.number().positive()).default(1000),
})
const metricBound = z.strictObject({ min: numeric(z.number()).optional(), max: numeric(z.number()).optional() })
const gateStep = z.strictObject({
  run: z.string().optional(),
  metrics: z.record(z.string(), metricBound).default({}),
  compare: z
    .strictObject({
      model: z.string().min(1),
      version: text,
      against: z.string().default('production'),
      ...holdout,
      metric: z.enum(['rmse', 'mae', 'accuracy']).default('rmse'),
      /** Relative: 0.05 lets the challenger be up to 5% worse than the champion. */
      margin: numeric(z.number().min(0)).default(0),
    })
    .optional(),
  approval: z.enum(['auto', 'manual']).default('auto'),
  timeout: duration.default(3_600_000),
})
const promoteStep = z.strictObject({ model: z.string().min(1), from: z.string().min(1), to: z.string().min(1), alias: z.string().optional() })
/** `monitor`: watch a deployed model for `duration`; on a breach roll the environment back (or only fail). */
const monitorStep = z
  .strictObject({
    model: z.string().min(1),
    environment: z.string().min(1),
    duration: duration,
    interval: duration.default(5000),
    /** Largest PSI of any feature or of the predictions (the environment's monitoring.drift window). */
    max_psi: numeric(z.number().positive()).optional(),
    /** Largest share of prediction requests answered with a 5xx (and 4xx with count_4xx), over the live metrics' window (30 s). */
    max_error_rate: numeric(z.number().min(0).max(1)).optional(),
    /** Count requests answered 4xx as errors too: a version that refuses its callers' inputs fails them. */
    count_4xx: z.boolean().default(false),
    /** Largest share of shadowed rows whose labels differ between live and shadow, over the requests shadowed in the last `window`. */
    max_shadow_disagreement: numeric(z.number().min(0).max(1)).optional(),
    /** How far back shadow disagreement looks: a sliding window, not since the shadow was deployed (at most 24h, kept per second). */
    window: duration.default(300_000).refine((ms) => ms <= 24 * 3600_000, 'window: at most 24h (the shadow comparisons kept per second)'),
    /** Error rate and disagreement are judged only over at least this many requests (a handful gives noise). */
    min_requests: numeric(z.number().int().min(1)).default(20),
    on_breach: z.enum(['rollback', 'fail']).default('rollback'),
  })
  .refine((m) => m.max_psi !== undefined || m.max_error_rate !== undefined || m.max_shadow_disagreement !== undefined, {
    message: 'name at least one of max_psi, max_error_rate and max_shadow_disagreement',
  })
/**
 * `databricks`: a notebook (runs/submit) or an existing job (run-now) run through the Databricks
 * Jobs API 2.1 (steps/databricks-step.ts, docs/databricks.md). Parameters are strings there:
 * Databricks hands them to the notebook as widgets.
 */
const databricksStep = z
  .strictObject({
    host: z.string().min(1),
    /** Must be `${{ secrets[...] }}`, so it is masked everywhere (checked when wharf.yaml is read). */
    token: z.string().min(1),
    notebook: z.string().min(1).optional(),
    job_id: numeric(z.number().int().positive()).optional(),
    source: z.enum(['WORKSPACE', 'GIT']).optional(),
    /** Databricks' own `git_source` (git_url, git_provider, git_branch...): a notebook in a repository, its path relative. */
    git_source: z.record(z.string(), z.json()).optional(),
    existing_cluster_id: z.string().min(1).optional(),
    new_cluster: z.record(z.string(), z.json()).optional(),
    parameters: z.record(z.string().min(1), scalar).default({}),
    experiment: z.string().optional(),
    /** `SCOPE/KEY` of a Databricks secret holding Wharf's tracking token, handed to new clusters as MLFLOW_TRACKING_TOKEN. */
    tracking_token_secret: z
      .string()
      .regex(/^[\w.-]+\/[\w.-]+$/, 'expected SCOPE/KEY of a Databricks secret')
      .optional(),
    timeout: duration.default(7_200_000),
    poll_interval: duration.default(10_000),
  })
  .superRefine((d, issues) => {
    if ((d.notebook === undefined) === (d.job_id === undefined))
      issues.addIssue({ code: 'custom', message: 'name exactly one of notebook (runs/submit) and job_id (run-now)' })
    if (
      d.job_id !== undefined &&
      (d.existing_cluster_id !== undefined || d.new_cluster !== undefined || d.source !== undefined || d.git_source !== undefined)
    ) {
      issues.addIssue({
        code: 'custom',
        message: 'a job (job_id) brings its own cluster and source; existing_cluster_id, new_cluster, source and git_source go with notebook',
      })
    }
    if (d.existing_cluster_id !== undefined && d.new_cluster !== undefined)
      issues.addIssue({ code: 'custom', message: 'name at most one of existing_cluster_id and new_cluster' })
  })

const commandStep = z.union([z.string().min(1), z.strictObject({ run: z.string().min(1), timeout: duration.optional(), cwd: z.string().optional() })])

const stepKinds = {
  train: trainStep,
  register: registerStep,
  deploy: deployStep,
  test: testStep,
  gate: gateStep,
  promote: promoteStep,
  monitor: monitorStep,
  command: commandStep,
  databricks: databricksStep,
} as const
export type StepKind = keyof typeof stepKinds
const stepKindNames = Object.keys(stepKinds) as StepKind[]

export type NotebookTrainSpec = z.infer<typeof notebookTrainStep>
export type DatabricksSpec = z.infer<typeof databricksStep>

/** A step as written: its kind's settings are kept raw, because `${{ }}` is filled in only when the step runs. */
export interface StepDef {
  readonly name: string
  readonly kind: StepKind
  readonly raw: unknown
  readonly when: string | undefined
  /** Where errors point: `stages[1].steps[0]`. */
  readonly path: string
}

export interface StageDef {
  readonly name: string
  readonly displayName: string | undefined
  readonly when: string
  readonly environment: string | undefined
  readonly steps: readonly StepDef[]
}

export interface TriggerDef {
  readonly event: string
  readonly model: string | undefined
  readonly stages: readonly string[] | undefined
}

export interface PipelineDef {
  readonly name: string
  /** Absolute path of the wharf.yaml it came from. */
  readonly file: string
  readonly variables: Readonly<Record<string, string>>
  readonly secrets: Readonly<Record<string, z.infer<typeof secret>>>
  readonly environments: readonly string[]
  readonly triggers: readonly TriggerDef[]
  readonly stages: readonly StageDef[]
}

const stepSchema = z.looseObject({ name: name.optional(), when: z.string().optional() })
const stageSchema = z.strictObject({
  name,
  display_name: z.string().optional(),
  when: z.string().default('succeeded()'),
  /** The CI environment this stage deploys to (approvals are configured on it in Azure DevOps / GitHub). */
  environment: z.string().optional(),
  steps: z.array(stepSchema).min(1),
})
/** Letters, digits and _, in parts joined by dots (the seed's `databricks.token`), as Azure Pipelines names variables. */
const variableName = (what: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, `${what} names are letters, digits and _, in parts joined by dots (databricks.token)`)

const fileSchema = z.looseObject({
  pipeline: name.optional(),
  variables: z.record(variableName('variable'), scalar).default({}),
  secrets: z.record(variableName('secret'), secret).default({}),
  environments: z.record(z.string(), z.unknown()).nullish(),
  triggers: z
    .array(z.strictObject({ event: z.string().default('model_version.created'), model: z.string().optional(), stages: z.array(z.string()).optional() }))
    .default([]),
  stages: z.array(stageSchema).min(1, 'a pipeline needs at least one stage'),
})

/** A record's bad key is reported as "Invalid key in record" with the key's own issue inside: say that one. */
const messageOf = (issue: z.core.$ZodIssue): string => (issue.code === 'invalid_key' && issue.issues[0] ? issue.issues[0].message : issue.message)

function issueText(file: string, issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '')
  if (issue.code === 'unrecognized_keys')
    return `${file}: ${path ? `${path}: ` : ''}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
  return `${file}: ${path || '(top level)'}: ${messageOf(issue)}`
}

/** Checks one step's settings; throws INVALID_PARAMETER_VALUE naming the key, e.g. `wharf.yaml: stages[0].steps[1].train.model: ...`. */
export function parseStepSpec<K extends StepKind>(kind: K, raw: unknown, where: string): z.infer<(typeof stepKinds)[K]> {
  const parsed = stepKinds[kind].safeParse(raw)
  if (parsed.success) return parsed.data as z.infer<(typeof stepKinds)[K]>
  const [inner, innerPath] = mostTelling(parsed.error.issues, [])
  const path = [kind, ...innerPath].map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
  const message =
    inner.code === 'unrecognized_keys' ? `unknown key${inner.keys.length > 1 ? 's' : ''} ${inner.keys.map((k) => `'${k}'`).join(', ')}` : messageOf(inner)
  throw invalidParameter(`${where}${path}: ${message}`)
}

/**
 * The issue that best tells a person what to fix: an unknown key before a missing one, and inside
 * a union the branch the input came closest to (fewest issues, and not merely of the wrong type).
 */
function mostTelling(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): [z.core.$ZodIssue, PropertyKey[]] {
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue, [...prefix, ...issue.path]]
  const score = (branch: readonly z.core.$ZodIssue[]) => branch.length + (branch.every((i) => i.code === 'invalid_type' && i.path.length === 0) ? 0.5 : 0)
  const best = [...issue.errors].sort((a, b) => score(a) - score(b))[0]!
  return mostTelling(best, [...prefix, ...issue.path])
}

/** Parses and validates a wharf.yaml text. Errors name the file and the bad key. */
export function parsePipeline(textIn: string, file: string): PipelineDef {
  let doc: unknown
  try {
    doc = parseYaml(textIn)
  } catch (err) {
    throw invalidParameter(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  const parsed = fileSchema.safeParse(doc ?? {})
  if (!parsed.success) throw invalidParameter(issueText(file, parsed.error.issues[0]!))
  const d = parsed.data
  checkDistinctNames(file, [
    ...Object.keys(d.variables).map((n) => ({ kind: 'variables' as const, name: n })),
    ...Object.keys(d.secrets).map((n) => ({ kind: 'secrets' as const, name: n })),
  ])
  const seen = new Set<string>()
  const stages: StageDef[] = d.stages.map((stage, i) => {
    if (seen.has(`stage:${stage.name}`)) throw invalidParameter(`${file}: stages[${i}].name: stage '${stage.name}' is declared twice`)
    seen.add(`stage:${stage.name}`)
    const steps = stage.steps.map((step, j) => {
      const path = `stages[${i}].steps[${j}]`
      const kinds = stepKindNames.filter((k) => k in step)
      const extra = Object.keys(step).filter((k) => k !== 'name' && k !== 'when' && !(stepKindNames as string[]).includes(k))
      if (extra.length > 0) throw invalidParameter(`${file}: ${path}: unknown key '${extra[0]}' (a step has name, when and one of ${stepKindNames.join(', ')})`)
      if (kinds.length !== 1) throw invalidParameter(`${file}: ${path}: expected exactly one of ${stepKindNames.join(', ')}, got ${kinds.length}`)
      const kind = kinds[0]!
      const stepName = step.name ?? kind
      if (seen.has(stepName)) throw invalidParameter(`${file}: ${path}.name: step '${stepName}' is declared twice; give the steps distinct names`)
      seen.add(stepName)
      const raw = (step as Record<string, unknown>)[kind]
      // Validate the shape now (with placeholders standing in for ${{ }}), so mistakes show before anything runs.
      parseStepSpec(kind, withPlaceholders(raw), `${file}: ${path}`)
      if (kind === 'databricks') requireSecretToken(raw, `${file}: ${path}.databricks.token`)
      return { name: stepName, kind, raw, when: step.when, path }
    })
    return { name: stage.name, displayName: stage.display_name, when: stage.when, environment: stage.environment, steps }
  })
  for (const [i, t] of d.triggers.entries()) {
    for (const s of t.stages ?? []) if (!stages.some((st) => st.name === s)) throw invalidParameter(`${file}: triggers[${i}].stages: no stage named '${s}'`)
  }
  return {
    name: d.pipeline ?? (basename(dirname(resolve(file))) || 'pipeline'),
    file: resolve(file),
    variables: d.variables,
    secrets: d.secrets,
    environments: Object.keys(d.environments ?? { staging: null, production: null }),
    triggers: d.triggers.map((t) => ({ event: t.event, model: t.model, stages: t.stages })),
    stages,
  }
}

/** A Databricks token written in wharf.yaml or kept in a variable would show in logs and CI files: it must be a secret. */
function requireSecretToken(raw: unknown, where: string): void {
  const token = (raw as { token?: unknown }).token
  if (typeof token !== 'string' || !/^\s*\$\{\{\s*secrets\s*(\.|\[)[^}]*\}\}\s*$/.test(token)) {
    throw invalidParameter(`${where}: the token must come from a secret, e.g. token: "\${{ secrets['databricks.token'] }}"`)
  }
}

/** A string that is only `${{ ... }}` stands in as '1', which every scalar field accepts; the real value is checked when the step runs. */
function withPlaceholders(raw: unknown): unknown {
  if (typeof raw === 'string') return /^\s*\$\{\{[^}]*\}\}\s*$/.test(raw) ? '1' : raw
  if (Array.isArray(raw)) return raw.map(withPlaceholders)
  if (raw !== null && typeof raw === 'object') return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, withPlaceholders(v)]))
  return raw
}

export async function loadPipeline(path: string): Promise<PipelineDef> {
  let textIn: string
  try {
    textIn = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw invalidParameter(`no pipeline file at ${path}: write a wharf.yaml (see examples/diabetes/wharf.yaml)`)
    throw err
  }
  return parsePipeline(textIn, path)
}
