import type { StepKind } from './pipeline-file.js'

/** A command line whose `${{ }}` became variable references, and the variables' values. */
export interface ShellBinding {
  readonly command: string
  readonly env: Readonly<Record<string, string>>
}

const expressionVariablePrefix = 'WHARF_EXPR_'

/**
 * Turns every `${{ expr }}` in a command line into a reference to an environment variable that
 * holds its value, as GitHub's hardening guide advises for `run:` (issue #12: a model named
 * `m$(touch${IFS}x)` pasted into `sh -c` text ran). The shell expands a variable but never reads
 * its value as syntax, so no value can run code. The reference is quoted to fit where the
 * expression stands, so the command sees the value exactly: `"${V}"` unquoted, `${V}` inside
 * double quotes, and `'"${V}"'` inside single quotes (closing and reopening them). Inside a
 * here-document the quotes would print: use a variable (`$NAME`) there instead.
 */
export function bindShellExpressions(command: string, valueOfExpression: (expr: string) => string): ShellBinding {
  const env: Record<string, string> = {}
  let out = ''
  let quote: 'none' | 'single' | 'double' = 'none'
  let index = 0
  for (let i = 0; i < command.length; ) {
    // The same extent interpolate() gives an expression: up to the first '}}'.
    const end = command.startsWith('${{', i) ? command.indexOf('}}', i + 3) : -1
    if (end >= 0) {
      const name = `${expressionVariablePrefix}${index++}`
      env[name] = valueOfExpression(command.slice(i + 3, end))
      out += quote === 'double' ? `\${${name}}` : quote === 'single' ? `'"\${${name}}"'` : `"\${${name}}"`
      i = end + 2
      continue
    }
    const ch = command[i]!
    if (quote === 'single') {
      if (ch === "'") quote = 'none'
    } else if (ch === '\\') {
      out += command.slice(i, i + 2) // an escaped character never opens or closes a quote
      i += 2
      continue
    } else if (quote === 'double') {
      if (ch === '"') quote = 'none'
    } else if (ch === "'") quote = 'single'
    else if (ch === '"') quote = 'double'
    out += ch
    i++
  }
  return { command: out, env }
}

/**
 * The step settings with the shell text of `command` steps (and train steps given a command)
 * bound as above; other kinds and fields are returned as they are, for interpolate() to fill.
 */
export function bindStepShellText(
  kind: StepKind,
  raw: unknown,
  valueOfExpression: (expr: string) => string,
): { raw: unknown; env: Readonly<Record<string, string>> } {
  if (kind === 'command' && typeof raw === 'string') {
    const bound = bindShellExpressions(raw, valueOfExpression)
    return { raw: bound.command, env: bound.env }
  }
  const field = kind === 'command' ? 'run' : kind === 'train' ? 'command' : undefined
  if (field === undefined || raw === null || typeof raw !== 'object' || typeof (raw as Record<string, unknown>)[field] !== 'string') return { raw, env: {} }
  const bound = bindShellExpressions((raw as Record<string, string>)[field]!, valueOfExpression)
  return { raw: { ...raw, [field]: bound.command }, env: bound.env }
}
