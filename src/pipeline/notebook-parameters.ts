import { randomBytes } from 'node:crypto'

/** Python 3's reserved words (`keyword.kwlist`): they cannot be assigned to. */
export const pythonKeywords: ReadonlySet<string> = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
])

const maxDepth = 32
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * A JSON value as Python source that evaluates to the same value: a JSON string literal is a valid
 * Python string literal with the same characters (JSON's escapes \" \\ \/ \b \f \n \r \t \uXXXX
 * mean the same in Python, and JSON.stringify writes every control character escaped), numbers are
 * finite decimals, and true/false/null become True/False/None. The value never reaches the source
 * unescaped, so no value can add code to the cell (the way papermill's own string quoting could,
 * issue #19). Refuses what has no exact Python literal: non-finite numbers, lone surrogates.
 */
export function pythonLiteral(value: unknown, depth = 0): string {
  if (depth > maxDepth) throw new Error(`a notebook parameter nests deeper than ${maxDepth} levels`)
  if (value === null) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') {
    if (loneSurrogate.test(value)) throw new Error('a notebook parameter holds a lone UTF-16 surrogate, which Python cannot encode')
    return JSON.stringify(value)
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`a notebook parameter is ${value}, which JSON cannot carry`)
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map((v) => pythonLiteral(v, depth + 1)).join(', ')}]`
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonLiteral(k)}: ${pythonLiteral(v, depth + 1)}`)
      .join(', ')}}`
  throw new Error(`a notebook parameter cannot be ${typeof value}`)
}

/** The source of the injected cell: papermill's `# Parameters` heading, then one assignment per line. */
export function parametersSource(parameters: Readonly<Record<string, unknown>>): string {
  const lines = Object.entries(parameters).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || pythonKeywords.has(name))
      throw new Error(`'${name}' cannot name a notebook parameter: it is not a Python name`)
    return `${name} = ${pythonLiteral(value)}`
  })
  return `${['# Parameters', ...lines].join('\n')}\n`
}

interface NotebookCell {
  cell_type: string
  metadata?: { tags?: unknown }
  [key: string]: unknown
}

interface Notebook {
  nbformat: number
  nbformat_minor: number
  cells: NotebookCell[]
  [key: string]: unknown
}

const tagsOf = (cell: NotebookCell): unknown[] => (Array.isArray(cell.metadata?.tags) ? cell.metadata!.tags : [])

/**
 * The notebook with its parameters cell injected as papermill does it: a code cell tagged
 * `injected-parameters` right after the cell tagged `parameters` (whose defaults it overrides), or
 * first when no cell has that tag; an injected cell left by an earlier run is replaced.
 */
export function injectParameters(text: string, parameters: Readonly<Record<string, unknown>>, what: string): Notebook {
  let notebook: Notebook
  try {
    notebook = JSON.parse(text) as Notebook
  } catch (err) {
    throw new Error(`${what} is not a notebook: ${(err as Error).message}`)
  }
  if (notebook === null || typeof notebook !== 'object' || !Array.isArray(notebook.cells) || notebook.nbformat !== 4) {
    throw new Error(`${what} is not a Jupyter notebook of format 4 (nbformat 4, with cells)`)
  }
  const cells = notebook.cells.filter((c) => !tagsOf(c).includes('injected-parameters'))
  const source = parametersSource(parameters)
  const injected: NotebookCell = {
    cell_type: 'code',
    execution_count: null,
    metadata: { tags: ['injected-parameters'] },
    outputs: [],
    source: source.split(/(?<=\n)/),
    // Cell ids are required from nbformat 4.5 on.
    ...(notebook.nbformat_minor >= 5 ? { id: `wharf-${randomBytes(4).toString('hex')}` } : {}),
  }
  const at = cells.findIndex((c) => tagsOf(c).includes('parameters'))
  cells.splice(at + 1, 0, injected)
  return { ...notebook, cells }
}

/** A parameter whose whole value is one `${{ }}`: its value is typed as papermill's `-p` types it. */
const wholeExpression = /^\s*\$\{\{(.*?)\}\}\s*$/s

/**
 * The value of `-p NAME VALUE` in papermill: True/False, an integer, a float, else the text.
 * ${{ }} values are text, and `alpha: "${{ variables.alpha }}"` should reach the notebook as the
 * float 0.01, as `papermill -p alpha 0.01` gives it.
 */
export function typedValue(text: string): string | number | boolean {
  if (text === 'True' || text === 'true') return true
  if (text === 'False' || text === 'false') return false
  if (/^[-+]?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text)
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) && Number.isFinite(Number(text))) return Number(text)
  return text
}

/**
 * A notebook train step's settings with each parameter that is exactly one `${{ }}` replaced by its
 * typed value, before interpolate() fills the rest (which keeps text as text). Other steps, and
 * other fields, are returned as they are.
 */
export function bindNotebookParameters(kind: string, raw: unknown, textOf: (expr: string) => string): unknown {
  if (kind !== 'train' || raw === null || typeof raw !== 'object' || !('notebook' in raw)) return raw
  const parameters = (raw as { parameters?: unknown }).parameters
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) return raw
  const typed = Object.fromEntries(
    Object.entries(parameters).map(([k, v]) => {
      const m = typeof v === 'string' ? wholeExpression.exec(v) : null
      return [k, m ? typedValue(textOf(m[1]!)) : v]
    }),
  )
  return { ...raw, parameters: typed }
}
