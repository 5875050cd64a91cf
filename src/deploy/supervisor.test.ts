import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fakeServeCommand, invoke } from './fixtures/deploy-harness.js'
import { LocalRunner } from './local-runner.js'
import type { RunSpec } from './runner.js'
import { Supervisor } from './supervisor.js'
import { EXIT_MODEL_REFUSED } from '../models/model-error.js'
import { freePort, isAlive, tempDir, waitFor } from '../testing/fixtures.js'

describe('Supervisor with the local runner', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const c of cleanups.reverse()) await c()
  })

  const spec = async (version: string): Promise<RunSpec> => {
    const dir = await tempDir('supervisor')
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    return {
      instanceId: `t${version}`,
      environment: 'test',
      modelName: 'm',
      version,
      modelUri: `models:/m/${version}`,
      port: await freePort(),
      logFile: join(dir, 'serve.log'),
    }
  }
  const runner = new LocalRunner({ command: fakeServeCommand, env: { PATH: process.env.PATH } })

  it('starts a serving process, waits until it is ready, and keeps its output in the log file', async () => {
    const s = await spec('3')
    const supervisor = new Supervisor(s, runner)
    cleanups.push(() => supervisor.stop(1000))
    assert.equal(await supervisor.start(), 'started')
    await supervisor.waitReady(10_000)
    const answer = await invoke(`http://127.0.0.1:${s.port}`)
    assert.equal(answer.status, 200)
    assert.equal(answer.version, '3')
    const log = await readFile(s.logFile, 'utf8')
    assert.match(log, /started pid \d+/)
    assert.match(log, /fake serve models:\/m\/3/)
  })

  it('does not restart a process that refused its model, and tells the waiter why at once', async () => {
    const s = await spec('6')
    // A serving process that refuses its model as `wharf serve` does: a message, then EXIT_MODEL_REFUSED.
    const script = join(dirname(s.logFile), 'refuse.mjs')
    await writeFile(script, `console.error('model flavor sklearn loads by unpickling'); process.exit(${EXIT_MODEL_REFUSED})\n`)
    const supervisor = new Supervisor(s, new LocalRunner({ command: [process.execPath, script], env: { PATH: process.env.PATH } }))
    cleanups.push(() => supervisor.stop(1000))
    await supervisor.start()
    await assert.rejects(supervisor.waitReady(120_000), /was refused by its serving process .*allowPickle[\s\S]*model flavor sklearn loads by unpickling/)
    // Asked again later, the same answer, and no restart happened.
    await assert.rejects(supervisor.waitReady(120_000), /was refused by its serving process/)
    assert.equal(supervisor.status().restarts, 0)
    assert.doesNotMatch(await readFile(s.logFile, 'utf8'), /restarting in/)
  })

  it('restarts a killed process and has it healthy again', async () => {
    const s = await spec('4')
    const supervisor = new Supervisor(s, runner)
    cleanups.push(() => supervisor.stop(1000))
    await supervisor.start()
    await supervisor.waitReady(10_000)
    const pid = supervisor.status().pid!
    process.kill(pid, 'SIGKILL')
    await waitFor(
      'the process back and healthy',
      async () => supervisor.status().health === 'ready' && supervisor.status().pid !== pid && (await invoke(`http://127.0.0.1:${s.port}`)).status === 200,
      30_000,
    )
    assert.equal(supervisor.status().restarts, 1)
    assert.match(await readFile(s.logFile, 'utf8'), /exited; restarting in 100 ms/)
  })

  it('adopts a process that is still running instead of starting another', async () => {
    const s = await spec('5')
    const first = new Supervisor(s, runner)
    await first.start()
    await first.waitReady(10_000)
    const pid = first.status().pid!
    first.detach()
    const second = new Supervisor(s, runner)
    cleanups.push(() => second.stop(1000))
    assert.equal(await second.start({ pid }), 'adopted')
    await second.waitReady(5000)
    assert.equal(second.status().pid, pid)
    // An adopted process is not our child: its death is noticed by polling, and it is replaced.
    process.kill(pid, 'SIGKILL')
    await waitFor('the adopted process replaced', async () => second.status().pid !== pid && second.status().health === 'ready', 30_000)
  })

  it('does not adopt a pid that is not a serving process on the expected port', async () => {
    const s = await spec('6')
    const supervisor = new Supervisor(s, runner)
    cleanups.push(() => supervisor.stop(1000))
    assert.equal(await supervisor.start({ pid: process.pid }), 'started')
    assert.notEqual(supervisor.status().pid, process.pid)
    assert.ok(isAlive(process.pid))
    await supervisor.waitReady(10_000)
  })

  it('stops the process and forgets it', async () => {
    const s = await spec('7')
    const supervisor = new Supervisor(s, runner)
    await supervisor.start()
    await supervisor.waitReady(10_000)
    const pid = supervisor.status().pid!
    await supervisor.stop(2000)
    await waitFor('the process gone', () => !isAlive(pid), 30_000)
    assert.equal(supervisor.status().health, 'stopped')
  })
})
