import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { ProcessLocks } from './named-locks.js'

describe('process locks (a store one process owns)', () => {
  it('runs the calls for one name one after another, in the order they came, and others beside them', async () => {
    const locks = new ProcessLocks()
    const order: string[] = []
    const work = (label: string) => async () => {
      order.push(`${label} start`)
      // Several turns of the event loop: without the lock the next call would start in between.
      for (let i = 0; i < 3; i++) await nextTurn()
      order.push(`${label} end`)
      return label
    }
    const results = await Promise.all([locks.withLock('a', work('a1')), locks.withLock('a', work('a2')), locks.withLock('b', work('b1'))])
    assert.deepEqual(results, ['a1', 'a2', 'b1'])
    const of = (prefix: string) => order.filter((s) => s.startsWith(prefix))
    assert.deepEqual(of('a'), ['a1 start', 'a1 end', 'a2 start', 'a2 end'])
    // b ran while a1 held 'a': it started before a1 ended.
    assert.ok(order.indexOf('b1 start') < order.indexOf('a1 end'), order.join(', '))
  })

  it('goes on with the next call after one fails, and passes the failure to its caller only', async () => {
    const locks = new ProcessLocks()
    const failed = locks.withLock('x', async () => {
      throw new Error('rollout failed')
    })
    const next = locks.withLock('x', async () => 'ran')
    await assert.rejects(failed, /rollout failed/)
    assert.equal(await next, 'ran')
  })
})
