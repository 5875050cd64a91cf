import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { bindShellExpressions, bindStepShellText } from './shell-values.js'

const run = promisify(execFile)

/** Runs the bound command with a real `sh -c` in an empty folder; its stdout, and what it left there. */
async function shell(command: string, values: Record<string, string>): Promise<{ stdout: string; files: string[] }> {
  const bound = bindShellExpressions(command, (expr) => values[expr.trim()] ?? assert.fail(`no value for ${expr}`))
  const cwd = await mkdtemp(join(tmpdir(), 'wharf-shell-values-'))
  try {
    const { stdout } = await run('sh', ['-c', bound.command], { cwd, env: { PATH: '/usr/bin:/bin', ...bound.env } })
    return { stdout, files: await readdir(cwd) }
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
}

const hostile = ['$(touch pwned)', '`touch pwned`', "'; touch pwned; '", '"; touch pwned; "', 'a b  c', '*', '\\', 'line1\nline2', '${HOME}', '$((1+1))', '']

describe('values of ${{ }} in shell text', () => {
  it('reach the command exactly, unquoted, in double quotes and in single quotes, and never run', async () => {
    for (const value of hostile) {
      for (const command of ['printf %s ${{ v }}', 'printf %s "${{ v }}"', "printf %s '${{ v }}'", 'printf %s "<${{ v }}>"', "printf %s '<${{ v }}>'"]) {
        const expected = command.includes('<') ? `<${value}>` : value
        const { stdout, files } = await shell(command, { v: value })
        assert.equal(stdout, expected, `${command} with ${JSON.stringify(value)}`)
        assert.deepEqual(files, [], `${command} with ${JSON.stringify(value)} ran something`)
      }
    }
  })

  it('reads quotes the way sh does: escaped quotes, quotes of the other kind, and several values', async () => {
    const values = { a: "it's", b: 'say "hi"' }
    assert.equal((await shell('printf %s \\"${{ a }}\\"', values)).stdout, '"it\'s"')
    assert.equal((await shell('printf %s "${{ a }} \'x\' ${{ b }}"', values)).stdout, "it's 'x' say \"hi\"")
    assert.equal((await shell('printf %s \'"${{ a }}"\' ${{ b }}', values)).stdout, '"it\'s"say "hi"')
    assert.equal((await shell('printf "%s|%s" ${{ a }} ${{ b }}', values)).stdout, 'it\'s|say "hi"')
  })

  it('binds the shell text of command and train steps only, leaving other fields to interpolation', () => {
    const valueOfExpression = () => 'v'
    assert.deepEqual(bindStepShellText('command', 'echo ${{ x }}', valueOfExpression), { raw: 'echo "${WHARF_EXPR_0}"', env: { WHARF_EXPR_0: 'v' } })
    assert.deepEqual(bindStepShellText('command', { run: 'echo ${{ x }}', cwd: '${{ y }}' }, valueOfExpression), {
      raw: { run: 'echo "${WHARF_EXPR_0}"', cwd: '${{ y }}' },
      env: { WHARF_EXPR_0: 'v' },
    })
    assert.deepEqual(bindStepShellText('train', { command: 'python t.py ${{ x }}', experiment: '${{ y }}' }, valueOfExpression), {
      raw: { command: 'python t.py "${WHARF_EXPR_0}"', experiment: '${{ y }}' },
      env: { WHARF_EXPR_0: 'v' },
    })
    const deploy = { model: '${{ x }}', version: 1, environment: 'staging' }
    assert.deepEqual(bindStepShellText('deploy', deploy, valueOfExpression), { raw: deploy, env: {} })
  })
})
