import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openSqlite } from '../store/sqlite/database.js'
import { parsePipeline } from './pipeline-file.js'
import { StoreRunRecorder } from './run-recorder.js'
import { runPipeline, type RunnerOptions } from './runner.js'
import { Masker } from './secrets.js'
import { SqlitePipelineStore } from '../store/sqlite/pipeline-store.js'
import { commandStep } from './steps/command-step.js'
import type { StepFunctions } from './step-context.js'
import { tempDir } from '../testing/fixtures.js'

const unused = async () => {
  throw new Error('not used in this test')
}
const steps: StepFunctions = {
  train: unused,
  register: unused,
  deploy: unused,
  test: unused,
  gate: unused,
  promote: unused,
  monitor: unused,
  command: commandStep,
  databricks: unused,
}

async function setup(yaml: string) {
  const dir = await tempDir('runner')
  const file = join(dir, 'wharf.yaml')
  await writeFile(file, yaml)
  const store = new SqlitePipelineStore(openSqlite(':memory:', { durability: 'normal' }), { ownsDb: true, isOwnerAlive: () => false })
  const lines: string[] = []
  const options = (extra: Partial<RunnerOptions> = {}): RunnerOptions => ({
    pipeline: parsePipeline(yaml, file),
    secrets: { TOKEN: 'tok-123456' },
    masker: new Masker(['tok-123456']),
    recorder: new StoreRunRecorder(store),
    steps,
    connection: { user: 'me' },
    out: (l) => lines.push(l),
    modelCacheDir: dir,
    heartbeatMs: 60_000,
    ...extra,
  })
  return { dir, store, lines, options }
}

describe('the pipeline runner', () => {
  it("runs stages in order and hands one step's outputs to the next", async () => {
    const { store, options } = await setup(`
stages:
  - name: one
    steps: [{ name: make, command: "echo WHARF_OUTPUT version=42" }]
  - name: two
    steps: [{ name: use, command: "echo WHARF_OUTPUT got=\${{ steps.make.outputs.version }}" }]
`)
    const { run, status } = await runPipeline(options())
    assert.equal(status, 'succeeded')
    const stored = await store.getRun(run.runId)
    assert.equal(stored.stepRecords.find((s) => s.step === 'use')?.outputs.got, '42')
  })

  it('skips stages whose condition fails and runs always() stages after a failure', async () => {
    const { store, options } = await setup(`
variables: { deploy: "no" }
stages:
  - { name: a, steps: [{ command: "exit 3" }] }
  - { name: b, steps: [{ name: b1, command: "true" }] }
  - { name: c, when: always(), steps: [{ name: c1, command: "true" }] }
  - { name: d, when: "variables.deploy == 'yes'", steps: [{ name: d1, command: "true" }] }
`)
    const { run, status } = await runPipeline(options())
    assert.equal(status, 'failed')
    const stored = await store.getRun(run.runId)
    assert.deepEqual(
      stored.stageRecords.map((s) => s.status),
      ['failed', 'skipped', 'succeeded', 'skipped'],
    )
    assert.match(stored.error ?? '', /a\/command: the command exited with code 3/)
  })

  it('masks secrets in printed lines, stored logs, outputs and errors', async () => {
    const { store, lines, options } = await setup(`
stages:
  - name: leak
    steps:
      - { name: say, command: "echo token is $TOKEN; echo WHARF_OUTPUT t=$TOKEN" }
      - { name: fail, command: "echo \${{ secrets.TOKEN }} >&2; exit 1" }
`)
    const { run } = await runPipeline(options())
    const stored = await store.getRun(run.runId)
    const logs = await store.listLogs(run.runId, { limit: 100 })
    const everything = JSON.stringify({ stored, logs, lines })
    assert.ok(!everything.includes('tok-123456'), everything)
    assert.ok(logs.some((l) => l.line === 'token is ***'))
    assert.equal(stored.stepRecords[0]!.outputs.t, '***')
  })

  it('resumes a run at the step that did not finish, without running finished steps again', async () => {
    const { dir, store, options } = await setup(`
stages:
  - name: one
    steps: [{ name: count, command: "echo x >> count.txt" }]
  - name: two
    steps: [{ name: flaky, command: "test -f ok" }]
`)
    const first = await runPipeline(options())
    assert.equal(first.status, 'failed')
    await writeFile(join(dir, 'ok'), '')
    const resumed = await runPipeline(options({ resumeRunId: first.run.runId }))
    assert.equal(resumed.status, 'succeeded')
    const { readFile } = await import('node:fs/promises')
    assert.equal(await readFile(join(dir, 'count.txt'), 'utf8'), 'x\n')
    const stored = await store.getRun(first.run.runId)
    assert.deepEqual(
      stored.stepRecords.map((s) => [s.step, s.attempts]),
      [
        ['count', 1],
        ['flaky', 2],
      ],
    )
  })

  it('runs only the stages asked for and joins a run by its key', async () => {
    const { store, options } = await setup(`
stages:
  - { name: a, steps: [{ name: a1, command: "echo WHARF_OUTPUT v=1" }] }
  - { name: b, steps: [{ name: b1, command: "echo WHARF_OUTPUT w=\${{ steps.a1.outputs.v }}" }] }
`)
    const first = await runPipeline(options({ stages: ['a'], runKey: 'build-1' }))
    assert.deepEqual(
      (await store.getRun(first.run.runId)).stageRecords.map((s) => s.status),
      ['succeeded', 'pending'],
    )
    const second = await runPipeline(options({ stages: ['b'], runKey: 'build-1' }))
    assert.equal(second.run.runId, first.run.runId)
    assert.equal((await store.getRun(first.run.runId)).stepRecords[1]!.outputs.w, '1')
  })

  it('stops a cancelled run: the running command is killed, no further step or stage starts, not even always()', async () => {
    const { dir, store, options } = await setup(`
stages:
  - name: one
    steps:
      - { name: long, command: "sleep 30; echo late > late.txt" }
      - { name: next, command: "echo next > next.txt" }
  - { name: cleanup, when: always(), steps: [{ name: tidy, command: "echo tidy > tidy.txt" }] }
`)
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('SIGINT received')), 500)
    const { run, status } = await runPipeline(options({ signal: controller.signal }))
    assert.equal(status, 'failed')
    const stored = await store.getRun(run.runId)
    assert.match(stored.error ?? '', /^cancelled \(SIGINT received\); one\/long: the command was stopped by SIGKILL$/)
    assert.deepEqual(
      stored.stepRecords.map((s) => [s.step, s.status]),
      [
        ['long', 'failed'],
        ['next', 'pending'],
        ['tidy', 'pending'],
      ],
    )
    const { readdir } = await import('node:fs/promises')
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.txt')),
      [],
    )
  })

  it('hands dotted variables and secrets to commands under their environment names', async () => {
    const { store, options } = await setup(`
variables: { databricks.host: "https://adb-1" }
stages: [{ name: s, steps: [{ name: show, command: "echo WHARF_OUTPUT host=$DATABRICKS_HOST" }] }]
`)
    const { run } = await runPipeline(options())
    assert.equal((await store.getRun(run.runId)).stepRecords[0]!.outputs.host, 'https://adb-1')
  })
})
