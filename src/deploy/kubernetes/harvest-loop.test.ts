import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Logger } from '../../logger.js'
import { waitFor } from '../../testing/fixtures.js'
import { HarvestLoop } from './harvest-loop.js'

describe('the periodic harvest of monitored Kubernetes endpoints', () => {
  it('harvests every listed endpoint each round, logs a failing one once until it recovers, and stops between rounds', async () => {
    const calls: string[] = []
    const warnings: string[] = []
    let isBroken = true
    const logger = { warn: (fields: { model?: string }, message: string) => warnings.push(`${fields.model ?? ''}: ${message}`) } as unknown as Logger
    const loop = new HarvestLoop({
      endpoints: async () => [
        { environment: 'production', modelName: 'fraud' },
        { environment: 'production', modelName: 'churn' },
      ],
      harvest: async (_environment, modelName) => {
        calls.push(modelName)
        if (modelName === 'churn' && isBroken) throw new Error('cannot reach the Kubernetes API')
      },
      intervalMs: 5,
      logger,
    })
    loop.start()
    await waitFor('five rounds', () => calls.length >= 10, 10_000, 5)
    assert.deepEqual(warnings, ['churn: could not harvest the router logs'], 'one line for a failure that repeats')
    isBroken = false
    const seen = calls.length
    await waitFor('a round after the repair', () => calls.length >= seen + 4, 10_000, 5)
    isBroken = true
    const repaired = calls.length
    await waitFor('a round after it broke again', () => calls.length >= repaired + 4, 10_000, 5)
    await loop.stop()
    assert.equal(warnings.length, 2, 'a new failure after a success is logged again')
    const stopped = calls.length
    await new Promise((resolve) => setTimeout(resolve, 30))
    assert.equal(calls.length, stopped, 'no round after stop()')
    assert.deepEqual(calls.slice(0, 4), ['fraud', 'churn', 'fraud', 'churn'])
  })
})
