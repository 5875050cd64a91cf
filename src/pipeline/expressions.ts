import { invalidParameter } from '../errors.js'

/**
 * The small expression language of wharf.yaml, close to the one GitHub Actions and Azure Pipelines
 * share: `${{ steps.train.outputs.run_id }}` in values, and conditions such as `succeeded()`,
 * `failed()`, `always()`, `variables.deploy == 'true'`, combined with `&&`, `||`, `!` and parentheses.
 * A name with dots in it (the seed's `databricks.token`) is read with an index, as both CI systems
 * write it: `secrets['databricks.token']`, `variables['databricks.host']`.
 */
export interface ExpressionContext {
  /** Looked up by path: variables.X, secrets.X (or secrets['X.Y']), steps.NAME.outputs.X, stages.NAME.status, trigger.X, run.id. */
  readonly values: Readonly<Record<string, unknown>>
  /** Whether a stage or step before this point failed (for succeeded() / failed()). */
  readonly hasFailed: boolean
}

type Token = { kind: 'op' | 'str' | 'num' | 'id'; text: string }

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  const re = /\s*(?:(==|!=|&&|\|\||[()!.[\]])|'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_-]*))/y
  let at = 0
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break
    re.lastIndex = at
    const m = re.exec(source)
    if (!m) throw invalidParameter(`cannot read expression '${source}' at '${source.slice(at).trim()}'`)
    if (m[1] !== undefined) tokens.push({ kind: 'op', text: m[1] })
    else if (m[2] !== undefined) tokens.push({ kind: 'str', text: m[2].replace(/''/g, "'") })
    else if (m[3] !== undefined) tokens.push({ kind: 'num', text: m[3] })
    else tokens.push({ kind: 'id', text: m[4]! })
    at = re.lastIndex
  }
  return tokens
}

const isTruthy = (v: unknown) => !(v === undefined || v === null || v === false || v === '' || v === 0 || v === 'false')

/** Evaluates one expression (without the `${{ }}`); a missing path is undefined, not an error. */
export function evaluate(source: string, context: ExpressionContext): unknown {
  const tokens = tokenize(source)
  let i = 0
  const peek = () => tokens[i]
  const take = (text?: string) => {
    const t = tokens[i]
    if (!t || (text !== undefined && t.text !== text)) throw invalidParameter(`cannot read expression '${source}': expected ${text ?? 'a value'}`)
    i++
    return t
  }
  const primary = (): unknown => {
    const t = take()
    if (t.kind === 'op' && t.text === '(') {
      const v = or()
      take(')')
      return v
    }
    if (t.kind === 'op' && t.text === '!') return !isTruthy(primary())
    if (t.kind === 'str') return t.text
    if (t.kind === 'num') return Number(t.text)
    if (t.kind !== 'id') throw invalidParameter(`cannot read expression '${source}': unexpected '${t.text}'`)
    if (peek()?.text === '(') {
      take('(')
      take(')')
      return callFunction(t.text, context, source)
    }
    if (t.text === 'true' || t.text === 'false') return t.text === 'true'
    if (t.text === 'null') return null
    // A path: NAME, then `.NAME` or `['any name']` as often as needed.
    const path = [t.text]
    for (;;) {
      if (peek()?.text === '.' && peek()?.kind === 'op') {
        take('.')
        const member = take()
        if (member.kind !== 'id') throw invalidParameter(`cannot read expression '${source}': expected a name after '.'`)
        path.push(member.text)
      } else if (peek()?.text === '[' && peek()?.kind === 'op') {
        take('[')
        const key = take()
        if (key.kind !== 'str') throw invalidParameter(`cannot read expression '${source}': an index is a quoted name, e.g. secrets['databricks.token']`)
        take(']')
        path.push(key.text)
      } else return lookup(context.values, path)
    }
  }
  const comparison = (): unknown => {
    const left = primary()
    const op = peek()
    if (op?.text === '==' || op?.text === '!=') {
      take()
      const right = primary()
      const equal = String(left ?? '') === String(right ?? '')
      return op.text === '==' ? equal : !equal
    }
    return left
  }
  const and = (): unknown => {
    let v = comparison()
    while (peek()?.text === '&&') {
      take()
      const r = comparison()
      v = isTruthy(v) ? r : v
    }
    return v
  }
  const or = (): unknown => {
    let v = and()
    while (peek()?.text === '||') {
      take()
      const r = and()
      v = isTruthy(v) ? v : r
    }
    return v
  }
  const value = or()
  if (i < tokens.length) throw invalidParameter(`cannot read expression '${source}': unexpected '${tokens[i]!.text}'`)
  return value
}

function callFunction(name: string, context: ExpressionContext, source: string): boolean {
  switch (name) {
    case 'succeeded':
      return !context.hasFailed
    case 'failed':
      return context.hasFailed
    case 'always':
      return true
    default:
      throw invalidParameter(`cannot read expression '${source}': unknown function ${name}(); use succeeded(), failed() or always()`)
  }
}

/** `vars` is GitHub's name for what wharf.yaml and Azure call `variables`. */
const aliases: Readonly<Record<string, string>> = { vars: 'variables' }

function lookup(values: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let v: unknown = values
  for (const [i, raw] of path.entries()) {
    const part = i === 0 ? (aliases[raw] ?? raw) : raw
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined
    v = (v as Record<string, unknown>)[part]
  }
  return v
}

/** Whether a `when:` condition holds. A bare `${{ }}` around it is allowed. */
export function isConditionMet(condition: string, context: ExpressionContext): boolean {
  const inner = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(condition)?.[1] ?? condition
  return isTruthy(evaluate(inner, context))
}

/** The text one `${{ expr }}` stands for; an expression with no value is an error naming it. */
export function expressionText(expr: string, context: ExpressionContext, where: string): string {
  const v = evaluate(expr, context)
  if (v === undefined || v === null) throw invalidParameter(`${where}: '\${{${expr}}}' has no value here${dottedNameHint(expr, context)}`)
  return String(v)
}

/** `secrets.databricks.token` reads secrets → databricks → token; say how to read the name `databricks.token`. */
function dottedNameHint(expr: string, context: ExpressionContext): string {
  const m = /^\s*(secrets|variables|vars)\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)\s*$/.exec(expr)
  if (!m) return ''
  const group = context.values[aliases[m[1]!] ?? m[1]!]
  return group !== null && typeof group === 'object' && Object.hasOwn(group, m[2]!) ? ` (a name with dots is read with an index: ${m[1]}['${m[2]}'])` : ''
}

/**
 * Fills every `${{ expr }}` in strings, recursively through objects and arrays. A reference that
 * resolves to nothing is an error naming it, so a typo never turns into an empty argument.
 */
export function interpolate(value: unknown, context: ExpressionContext, where: string): unknown {
  if (typeof value === 'string') return value.replace(/\$\{\{(.*?)\}\}/gs, (_, expr: string) => expressionText(expr, context, where))
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, context, `${where}[${i}]`))
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, context, `${where}.${k}`)]))
  return value
}
