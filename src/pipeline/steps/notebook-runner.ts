import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { injectParameters } from '../notebook-parameters.js'
import { notebookRunnerScript } from './notebook-runner-script.js'
import { type ProcessOptions, runProcess } from './shell-command.js'

/** What to install in the notebook's environment when the runner's modules are missing. */
export const notebookRunnerPackages = ['nbclient', 'nbformat', 'ipykernel'] as const

export interface NotebookRun {
  /** The notebook as executed (outputs included), also when a cell failed; undefined when it could not start. */
  readonly executed: string | undefined
  readonly lines: readonly string[]
  /** Why it failed (a cell's exception, a timeout, a missing module), or undefined when it ran to the end. */
  readonly failure: string | undefined
  /** Removes the scratch folder holding the executed notebook. */
  cleanUp(): Promise<void>
}

/**
 * Runs a notebook with papermill-style parameters in the Python environment `python` names
 * (a path, or a name looked up on PATH): the parameters are injected as a cell (notebook-parameters.ts),
 * the notebook is executed by nbclient in a kernel of that interpreter (notebook-runner-script.ts),
 * and every output line goes to `log` as it is printed. The kernel's working folder is the
 * notebook's own, as in Jupyter, unless `workingDir` names another.
 */
export async function runNotebook(
  notebookPath: string,
  parameters: Readonly<Record<string, unknown>>,
  python: string,
  options: ProcessOptions & { readonly workingDir?: string },
): Promise<NotebookRun> {
  const scratch = await mkdtemp(join(tmpdir(), 'wharf-notebook-'))
  const cleanUp = () => rm(scratch, { recursive: true, force: true })
  try {
    const text = await readFile(notebookPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new Error(err.code === 'ENOENT' ? `no notebook at ${notebookPath}` : `cannot read ${notebookPath}: ${err.message}`)
    })
    const input = join(scratch, 'input.ipynb')
    const output = join(scratch, basename(notebookPath))
    const script = join(scratch, 'wharf_notebook_runner.py')
    await writeFile(input, JSON.stringify(injectParameters(text, parameters, notebookPath), null, 1))
    await writeFile(script, notebookRunnerScript)
    let result: Awaited<ReturnType<typeof runProcess>>
    try {
      result = await runProcess(python, [script, input, output, options.workingDir ?? dirname(resolve(notebookPath))], options)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'EACCES')
        throw new Error(
          `cannot run the notebook's Python '${python}' (${code}): create the environment, e.g. python3 -m venv .venv && .venv/bin/pip install ${notebookRunnerPackages.join(' ')} mlflow`,
        )
      throw err
    }
    const executed = await readFile(output, 'utf8').catch(() => undefined)
    return { executed, lines: result.lines, failure: failureOf(result, python, options.timeoutMs), cleanUp }
  } catch (err) {
    await cleanUp()
    throw err
  }
}

function failureOf(
  result: { exitCode: number | null; signal: NodeJS.Signals | null; lines: readonly string[]; timedOut: boolean },
  python: string,
  timeoutMs: number | undefined,
): string | undefined {
  if (result.exitCode === 0) return undefined
  const marker = (name: string) =>
    [...result.lines]
      .reverse()
      .map((l) => new RegExp(`^${name}=(.*)$`).exec(l)?.[1])
      .find((v) => v !== undefined)
  if (result.timedOut) return `the notebook ran past its timeout of ${Math.round((timeoutMs ?? 0) / 1000)} s and was stopped`
  if (result.signal) return `the notebook's Python was stopped by ${result.signal}`
  const missing = marker('WHARF_NOTEBOOK_MISSING')
  if (missing !== undefined)
    return `the Python environment of '${python}' lacks ${missing.split(',').join(', ')}: install them with ${python} -m pip install ${notebookRunnerPackages.join(' ')}`
  const failed = marker('WHARF_NOTEBOOK_FAILED')
  if (failed !== undefined) return `a cell raised ${failed} (its traceback is in the log above)`
  const error = marker('WHARF_NOTEBOOK_ERROR')
  return `the notebook could not be run: ${error ?? `its Python exited with code ${result.exitCode}`}`
}
