import { resolve } from 'node:path'
import type { StepFunction } from '../step-context.js'
import { outputsOf, runShell } from './shell-command.js'

/** `command`: any shell step, with the pipeline's variables and secrets in its environment. */
export const commandStep: StepFunction<'command'> = async (spec, ctx) => {
  const { run, timeout, cwd } = typeof spec === 'string' ? { run: spec, timeout: undefined, cwd: undefined } : spec
  const result = await runShell(run, { cwd: resolve(ctx.dir, cwd ?? '.'), env: ctx.env, log: ctx.log, timeoutMs: timeout, signal: ctx.signal })
  if (result.exitCode !== 0) throw new Error(result.signal ? `the command was stopped by ${result.signal}` : `the command exited with code ${result.exitCode}`)
  return { exit_code: '0', ...outputsOf(result.lines) }
}
