import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { bindNotebookParameters, injectParameters, parametersSource, pythonLiteral, typedValue } from './notebook-parameters.js'

const notebook = (cells: { tags?: string[]; source: string }[], minor = 5) =>
  JSON.stringify({
    nbformat: 4,
    nbformat_minor: minor,
    metadata: {},
    cells: cells.map((c, i) => ({
      cell_type: 'code',
      id: `c${i}`,
      execution_count: null,
      metadata: c.tags ? { tags: c.tags } : {},
      outputs: [],
      source: c.source,
    })),
  })

/** Strings that broke parameter rendering elsewhere: quotes, backslashes before quotes, triple quotes, newlines, code. */
const hostile = [
  '"); import os; os.system("touch pwned") #',
  '\\"; __import__("os").system("touch pwned"); "',
  '\'\'\'"""\\\n\r\t',
  'line1\nline2\u2028\u2029',
  '\u0000\u001f\u007f',
  'ünïcødé ✓ 😀',
  '{{ jinja }} ${{ expr }} $(azure) %s',
  '\\',
  '\\x41\\u0041\\N{BULLET}',
]

describe('notebook parameters', () => {
  it('renders JSON values as the Python literals that evaluate to them', () => {
    assert.equal(pythonLiteral(null), 'None')
    assert.equal(pythonLiteral(true), 'True')
    assert.equal(pythonLiteral(false), 'False')
    assert.equal(pythonLiteral(0.01), '0.01')
    assert.equal(pythonLiteral(-3), '-3')
    assert.equal(pythonLiteral([1, 'a', null]), '[1, "a", None]')
    assert.equal(pythonLiteral({ 'k"ey': { n: 1.5e300 } }), '{"k\\"ey": {"n": 1.5e+300}}')
  })

  it('refuses what has no exact Python literal, and names that are not Python names', () => {
    assert.throws(() => pythonLiteral(Infinity), /Infinity/)
    assert.throws(() => pythonLiteral(Number.NaN), /NaN/)
    assert.throws(() => pythonLiteral('a\uD800b'), /surrogate/)
    assert.throws(() => parametersSource({ 'a-b': 1 }), /not a Python name/)
    assert.throws(() => parametersSource({ import: 1 }), /not a Python name/)
    assert.throws(() => parametersSource({ 'x = 1; import os; y': 1 }), /not a Python name/)
  })

  it('inserts the injected cell after the cell tagged parameters, replacing one left by an earlier run', () => {
    const text = notebook([
      { source: 'import x' },
      { tags: ['parameters'], source: 'alpha = 1' },
      { tags: ['injected-parameters'], source: 'alpha = 9' },
      { source: 'fit(alpha)' },
    ])
    const out = injectParameters(text, { alpha: 0.5 }, 'nb.ipynb')
    assert.deepEqual(
      out.cells.map((c) => (c.source as string[] | string).toString()),
      ['import x', 'alpha = 1', '# Parameters\n,alpha = 0.5\n', 'fit(alpha)'],
    )
    assert.deepEqual(out.cells[2]!.metadata, { tags: ['injected-parameters'] })
    assert.match(String(out.cells[2]!.id), /^wharf-[0-9a-f]{8}$/)
  })

  it('puts the injected cell first when no cell is tagged parameters, and adds no id before nbformat 4.5', () => {
    const out = injectParameters(notebook([{ source: 'fit()' }], 4), { n: 3 }, 'nb.ipynb')
    assert.equal((out.cells[0]!.source as string[]).join(''), '# Parameters\nn = 3\n')
    assert.equal(out.cells[0]!.id, undefined)
  })

  it('refuses a file that is not a format-4 notebook, naming it', () => {
    assert.throws(() => injectParameters('{"cells": []}', {}, 'train.ipynb'), /train\.ipynb is not a Jupyter notebook of format 4/)
    assert.throws(() => injectParameters('not json', {}, 'train.ipynb'), /train\.ipynb is not a notebook/)
  })

  it('types a parameter that is one ${{ }} as papermill -p does, and leaves other text as text', () => {
    assert.deepEqual(
      [
        typedValue('0.01'),
        typedValue('42'),
        typedValue('-1e-3'),
        typedValue('true'),
        typedValue('False'),
        typedValue('1.2.3'),
        typedValue('00x'),
        typedValue(''),
      ],
      [0.01, 42, -0.001, true, false, '1.2.3', '00x', ''],
    )
    const raw = { notebook: 'n.ipynb', parameters: { alpha: '${{ variables.alpha }}', label: 'v${{ variables.alpha }}', fixed: 2 } }
    assert.deepEqual(
      bindNotebookParameters('train', raw, () => '0.5'),
      { ...raw, parameters: { alpha: 0.5, label: 'v${{ variables.alpha }}', fixed: 2 } },
    )
    assert.equal(
      bindNotebookParameters('command', raw, () => '0.5'),
      raw,
    )
    assert.deepEqual(
      bindNotebookParameters('train', { command: 'x' }, () => '0.5'),
      { command: 'x' },
    )
  })

  it('gives Python exactly the values, with no code of theirs run, for strings built to escape the literal', () => {
    const parameters = Object.fromEntries(hostile.map((v, i) => [`p${i}`, v]))
    const nested = { ...parameters, nested: { list: hostile, 'key"\\': hostile[0] } }
    const source = parametersSource(nested)
    // Python parses the cell: it must be assignments of literals only, equal to the JSON values.
    const check = String.raw`
import ast, json, sys
source, expected = sys.stdin.read().split("\n<<<END>>>\n")
tree = ast.parse(source)
values = {}
for node in tree.body:
    assert isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name), ast.dump(node)
    values[node.targets[0].id] = ast.literal_eval(node.value)
assert values == json.loads(expected), (values, expected)
print("ok", len(values))
`
    const result = spawnSync('python3', ['-c', check], { input: `${source}\n<<<END>>>\n${JSON.stringify(nested)}`, encoding: 'utf8' })
    assert.equal(result.status, 0, result.stderr)
    assert.equal(result.stdout.trim(), `ok ${hostile.length + 1}`)
  })
})
