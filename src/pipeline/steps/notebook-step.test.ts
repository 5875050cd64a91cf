import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { wharfBin } from '../../app-paths.js'
import { type RunningServer, startServer } from '../../integration/server-process.js'
import { notebookPython } from '../fixtures/notebook-venv.js'

const secret = `nb-secret-${Math.random().toString(36).slice(2, 12)}`
/** Built to break out of a string literal: quotes, a backslash before a quote, a newline, code. */
const hostile = '\\"); import os; os.system("touch pwned") #\'\'\'\n"""ünï ✓'

const cell = (source: string, tags?: string[]) => ({
  cell_type: 'code',
  execution_count: null,
  id: `c${Math.random().toString(36).slice(2, 8)}`,
  metadata: tags ? { tags } : {},
  outputs: [],
  source,
})
const notebookOf = (...cells: object[]) => JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 })

interface Done {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The notebook step with a real `wharf server`, real `wharf pipeline run` processes and a real
 * Jupyter kernel in the pinned environment of examples/databricks/requirements.txt.
 */
describe('the notebook train step', { concurrency: false }, () => {
  let dir: string
  let server: RunningServer
  let python: string
  const files = ['probe', 'failing', 'bare', 'absent'].map((n) => `${n}.yaml`)

  const wharf = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<Done>((resolve) => {
      const child = spawn(process.execPath, [wharfBin, ...args], {
        cwd: dir,
        env: { ...process.env, WHARF_TRACKING_URI: server.url, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.once('close', (code) => resolve({ code, stdout, stderr }))
    })
  const api = async (path: string) => {
    const res = await fetch(`${server.url}/api/2.0/${path}`)
    assert.equal(res.status, 200, path)
    return res.json() as Promise<any>
  }
  const runOf = (stdout: string) => /run ([0-9a-f]{16})/.exec(stdout)![1]!

  before(async () => {
    python = await notebookPython()
    dir = await realpath(await mkdtemp(join(tmpdir(), 'wharf-notebook-step-')))
    await mkdir(join(dir, 'notebooks'))
    await writeFile(
      join(dir, 'notebooks', 'probe.ipynb'),
      notebookOf(
        cell('text = "default"\nnumber = 0.5\nlabel = "x"', ['parameters']),
        cell(
          [
            'import json, os, mlflow',
            'print("TEXT=" + json.dumps(text))',
            'print("NUMBER=" + type(number).__name__ + " " + repr(number))',
            'print("LABEL=" + type(label).__name__ + " " + label)',
            'print("CWD=" + os.getcwd())',
            'print("secret is " + os.environ["PROBE_SECRET"])',
            'mlflow.set_experiment(os.environ["MLFLOW_EXPERIMENT_NAME"])',
            'with mlflow.start_run(tags={"wharf.pipeline_run": os.environ["WHARF_PIPELINE_RUN_ID"]}) as run:',
            '    mlflow.log_param("text_length", len(text))',
            'print("RUN=" + run.info.run_id)',
          ].join('\n'),
        ),
      ),
    )
    await writeFile(
      join(dir, 'notebooks', 'failing.ipynb'),
      notebookOf(cell('print("loading")'), cell('def check(rows):\n    raise ValueError(f"bad data: {rows} rows")\ncheck(42)'), cell('print("never printed")')),
    )
    const pipeline = (name: string, train: string) =>
      `pipeline: ${name}\nvariables: { n: 7, hostile: ${JSON.stringify(hostile)} }\nsecrets: { PROBE_SECRET: { env: PROBE_SECRET } }\nstages: [{ name: train, steps: [{ name: train, train: ${train} }] }]\n`
    await writeFile(
      join(dir, 'probe.yaml'),
      pipeline(
        'probe',
        `{ notebook: notebooks/probe.ipynb, python: ${python}, experiment: probe, parameters: { text: "\${{ variables.hostile }}", number: "\${{ variables.n }}", label: "v\${{ variables.n }}" } }`,
      ),
    )
    await writeFile(join(dir, 'failing.yaml'), pipeline('failing', `{ notebook: notebooks/failing.ipynb, python: ${python} }`))
    // An environment without the runner's modules: a bare venv.
    assert.equal(spawnSync('python3', ['-m', 'venv', '--without-pip', join(dir, 'bare')]).status, 0)
    await writeFile(join(dir, 'bare.yaml'), pipeline('bare', '{ notebook: notebooks/probe.ipynb, python: bare/bin/python }'))
    await writeFile(join(dir, 'absent.yaml'), pipeline('absent', '{ notebook: notebooks/probe.ipynb, python: nowhere/bin/python }'))
    server = await startServer([
      '--backend-store-uri',
      `sqlite:///${join(dir, 'data', 'wharf.db')}`,
      '--artifacts-destination',
      join(dir, 'data', 'artifacts'),
      '--pipelines',
      files.map((f) => join(dir, f)).join(','),
    ])
  })

  after(async () => {
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('runs the notebook with its parameters injected as Python values, finds its run, and logs the executed notebook with secrets masked', async () => {
    const run = await wharf(['pipeline', 'run', 'probe.yaml'], { PROBE_SECRET: secret })
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const text = JSON.parse(/TEXT=(.*)/.exec(run.stdout)![1]!)
    assert.equal(text, hostile, 'the notebook sees exactly the string, and none of it ran as code')
    assert.match(run.stdout, /NUMBER=int 7\b/, 'a parameter that is one ${{ }} is typed as papermill -p types it')
    assert.match(run.stdout, /LABEL=str v7\b/)
    assert.match(run.stdout, new RegExp(`CWD=${join(dir, 'notebooks')}\\b`), "the kernel works in the notebook's folder")
    assert.match(run.stdout, /secret is \*\*\*/)
    assert.ok(!run.stdout.includes(secret))
    const mlflowRun = /RUN=([0-9a-f]{32})/.exec(run.stdout)![1]!
    const wharfRun = (await api(`wharf/pipelines/runs/get?run_id=${runOf(run.stdout)}`)).run
    const outputs = wharfRun.steps[0].outputs
    assert.equal(outputs.run_id, mlflowRun)
    assert.equal(outputs.notebook_uri, `runs:/${mlflowRun}/notebooks/probe.ipynb`)
    const { run: logged } = await api(`mlflow/runs/get?run_id=${mlflowRun}`)
    assert.equal(logged.data.params.find((p: any) => p.key === 'text_length').value, String(hostile.length))
    const artifact = await fetch(
      `${server.url}/api/2.0/mlflow-artifacts/artifacts/${logged.info.artifact_uri.replace(/^mlflow-artifacts:\//, '')}/notebooks/probe.ipynb`,
    )
    assert.equal(artifact.status, 200)
    const executed = await artifact.text()
    assert.ok(!executed.includes(secret), 'the stored notebook has the secret masked')
    const nb = JSON.parse(executed)
    const injected = nb.cells.find((c: any) => c.metadata?.tags?.includes('injected-parameters'))
    assert.equal(nb.cells.indexOf(injected), 1, 'right after the cell tagged parameters')
    assert.match(JSON.stringify(nb.cells[2].outputs), /secret is \*\*\*/)
  })

  it("fails the step with the cell's exception, its traceback in the stored log", async () => {
    const run = await wharf(['pipeline', 'run', 'failing.yaml'], { PROBE_SECRET: secret })
    assert.equal(run.code, 1)
    const logs = await wharf(['pipeline', 'logs', runOf(run.stdout)])
    assert.match(logs.stdout, /train \(train\): failed.*a cell raised ValueError: bad data: 42 rows/)
    assert.match(logs.stdout, /Traceback \(most recent call last\)/)
    assert.match(logs.stdout, /raise ValueError\(f"bad data: \{rows\} rows"\)/)
    assert.match(logs.stdout, /loading/)
    assert.doesNotMatch(logs.stdout, /never printed/)
  })

  it('names what to install when the environment lacks the runner, and a Python that is not there', async () => {
    const bare = await wharf(['pipeline', 'run', 'bare.yaml'], { PROBE_SECRET: secret })
    assert.equal(bare.code, 1)
    assert.match(bare.stdout, /lacks nbformat, nbclient, ipykernel: install them with \S*bare\/bin\/python -m pip install nbclient nbformat ipykernel/)
    const absent = await wharf(['pipeline', 'run', 'absent.yaml'], { PROBE_SECRET: secret })
    assert.equal(absent.code, 1)
    assert.match(absent.stdout, /cannot run the notebook's Python '\S*nowhere\/bin\/python' \(ENOENT\)/)
  })
})
