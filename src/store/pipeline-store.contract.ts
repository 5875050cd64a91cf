import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { NewRun, RunOwner } from '../pipeline/entities.js'
import type { PipelineStore } from './pipeline-store.js'

type IsOwnerAlive = (owner: RunOwner, heartbeatTime: number, now: number) => boolean

/**
 * The behaviour every PipelineStore must show, run against each backend: each test opens a store
 * of its own (`makeStore` gives an empty one, with the owner-liveness rule it is passed).
 */
const newRun = (pid: number): NewRun => ({
  pipeline: 'p',
  file: '/x/wharf.yaml',
  trigger: { kind: 'cli' },
  variables: {},
  actor: 'me',
  owner: { pid, host: 'h' },
  plan: [
    {
      stage: 'train',
      steps: [
        { step: 'train', kind: 'train' },
        { step: 'register', kind: 'register' },
      ],
    },
    { stage: 'prod', steps: [{ step: 'promote', kind: 'promote' }] },
  ],
})

export function describePipelineStore(name: string, makeStore: (isOwnerAlive: IsOwnerAlive) => Promise<PipelineStore>): void {
  const alive = new Set<number>()
  const open = () => makeStore((owner, heartbeat, now) => alive.has(owner.pid) && now - heartbeat < 10_000)
  describe(`PipelineStore contract: ${name}`, () => {
    it('records the plan of a run as pending stages and steps in order', async () => {
      const store = await open()
      alive.add(1)
      const run = await store.createRun(newRun(1), 1000)
      assert.equal(run.status, 'running')
      assert.deepEqual(
        run.stageRecords.map((s) => [s.stage, s.status]),
        [
          ['train', 'pending'],
          ['prod', 'pending'],
        ],
      )
      assert.deepEqual(
        run.stepRecords.map((s) => s.step),
        ['train', 'register', 'promote'],
      )
      await store.close()
    })

    it('refuses a second run of a pipeline while a live runner holds its lock', async () => {
      const store = await open()
      alive.add(1)
      await store.createRun(newRun(1), 1000)
      await assert.rejects(store.createRun(newRun(2), 2000), /pipeline 'p' is already running/)
      await store.close()
    })

    it('lets a new run take the lock of a runner that died, and marks the old run interrupted', async () => {
      const store = await open()
      alive.add(3)
      const first = await store.createRun(newRun(3), 1000)
      alive.delete(3)
      alive.add(4)
      await store.createRun(newRun(4), 2000)
      assert.equal((await store.getRun(first.runId)).status, 'interrupted')
      await store.close()
    })

    it('records a finished step with its outputs and never lets it start again', async () => {
      const store = await open()
      alive.add(5)
      const run = await store.createRun(newRun(5), 1000)
      await store.startStep(run.runId, 'train', 1100)
      await store.finishStep(run.runId, 'train', { status: 'succeeded', outputs: { run_id: 'abc' } }, 1200)
      await assert.rejects(store.startStep(run.runId, 'train', 1300), /has finished/)
      const step = (await store.getRun(run.runId)).stepRecords[0]!
      assert.deepEqual([step.status, step.attempts, step.outputs], ['succeeded', 1, { run_id: 'abc' }])
      await store.close()
    })

    it('counts a second attempt of a step that was interrupted', async () => {
      const store = await open()
      alive.add(6)
      const run = await store.createRun(newRun(6), 1000)
      await store.startStep(run.runId, 'train', 1100)
      alive.delete(6)
      alive.add(7)
      await store.claimRun(run.runId, { pid: 7, host: 'h' }, 2000)
      await store.startStep(run.runId, 'train', 2100)
      assert.equal((await store.getRun(run.runId)).stepRecords[0]!.attempts, 2)
      await store.close()
    })

    it('releases the lock when a run finishes, and refuses heartbeats from a runner that lost it', async () => {
      const store = await open()
      alive.add(8)
      const run = await store.createRun(newRun(8), 1000)
      await store.finishRun(run.runId, 'succeeded', undefined, 1500)
      assert.equal(await store.lockHolder('p', 1600), undefined)
      await assert.rejects(store.heartbeat(run.runId, { pid: 8, host: 'h' }, 1700), /no longer holds/)
      await store.close()
    })

    it('records one decision per gate and refuses a second', async () => {
      const store = await open()
      alive.add(9)
      const run = await store.createRun({ ...newRun(9), plan: [{ stage: 'gate', steps: [{ step: 'gate', kind: 'gate' }] }] }, 1000)
      await store.decide(run.runId, { step: 'gate', decision: 'approved', actor: 'ann', comment: 'ok', time: 1100 })
      assert.equal((await store.getDecision(run.runId, 'gate'))?.actor, 'ann')
      await assert.rejects(store.decide(run.runId, { step: 'gate', decision: 'rejected', actor: 'bob', comment: undefined, time: 1200 }), /already approved/)
      await store.close()
    })
  })
}
