import assert from 'node:assert/strict'
import { mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { type RunningServer, startServer } from './server-process.js'

const secret = 'expressions-secret'
// A registered model name MLflow accepts (no '/' or ':'): command substitutions that run in an
// unquoted, a double-quoted and a single-quoted context of the command text it is pasted into.
const modelName = "m$(touch${IFS}pwned-a)'$(touch${IFS}pwned-b)'"
const note = 'x; touch pwned-var'

/**
 * Issue #12 item 2, against a real `wharf server` and the runner its webhook starts: values from
 * `${{ }}` expressions (here a model name chosen by whoever can register a model, and a variable)
 * reach command steps as data, never as shell syntax.
 */
describe('expressions in command steps', () => {
  let dir: string
  let server: RunningServer

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'wharf-expressions-')))
    await writeFile(
      join(dir, 'wharf.yaml'),
      `
pipeline: shellsafe
variables:
  note: "${note}"
triggers: [{ event: model_version.created }]
stages:
  - name: echo
    steps:
      - name: unquoted
        command: echo unquoted=\${{ trigger.model_name }} note=\${{ variables.note }}
      - name: double
        command: echo "double=\${{ trigger.model_name }} note=\${{ variables.note }}"
      - name: single
        command: echo 'single=\${{ trigger.model_name }} note=\${{ variables.note }}'
      - name: train
        train: { command: "echo WHARF_RUN_ID=r1 train=\${{ trigger.model_name }}" }
`,
    )
    server = await startServer(
      [
        '--backend-store-uri',
        `sqlite:///${join(dir, 'data', 'wharf.db')}`,
        '--artifacts-destination',
        join(dir, 'data', 'artifacts'),
        '--pipelines',
        join(dir, 'wharf.yaml'),
      ],
      { WHARF_PIPELINE_WEBHOOK_SECRET: secret },
    )
  })

  after(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(
      `${server.url}/api/2.0/${path}`,
      body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    )
    const json = (await res.json()) as any
    assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }

  it('passes a hostile model name and variable to every quoting context as text, running none of it', async () => {
    await api('wharf/registry/webhooks', { url: `${server.url}/api/2.0/wharf/pipelines/trigger?pipeline=shellsafe`, events: ['model_version.created'], secret })
    await api('mlflow/registered-models/create', { name: modelName })
    await api('mlflow/model-versions/create', { name: modelName, source: 'mlflow-artifacts:/models/x' })
    let run: any
    for (let i = 0; i < 300 && !(run && run.status !== 'running'); i++) {
      await sleep(100)
      run = (await api('wharf/pipelines/runs/list?pipeline=shellsafe')).runs[0]
    }
    assert.ok(run, 'the webhook started no run')
    const lines = (await api(`wharf/pipelines/logs?run_id=${run.run_id}`)).lines as { step: string; line: string }[]
    const said = (step: string) =>
      lines
        .filter((l) => l.step === step)
        .map((l) => l.line)
        .join('\n')
    assert.equal(run.status, 'succeeded', JSON.stringify(lines))
    assert.equal(said('unquoted'), `unquoted=${modelName} note=${note}`)
    assert.equal(said('double'), `double=${modelName} note=${note}`)
    assert.equal(said('single'), `single=${modelName} note=${note}`)
    assert.match(said('train'), new RegExp(`train=${modelName.replace(/[$()'{}]/g, '\\$&')}$`))
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.startsWith('pwned')),
      [],
    )
  })
})
