import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { liveHistory, rollbackTarget } from './deploy-history.js'
import type { DeployAction, DeployChange } from './entities.js'

let id = 0
const change = (action: DeployAction, fromVersion: string | undefined, toVersion: string | undefined): DeployChange => ({
  changeId: ++id,
  time: id,
  actor: 'a',
  action,
  environment: 'e',
  modelName: 'm',
  fromVersion,
  toVersion,
  data: {},
})

describe('rollback targets from the change history', () => {
  it('goes back to the version live before the current one', () => {
    assert.equal(rollbackTarget([change('deploy', undefined, '1'), change('deploy', '1', '2')]), '1')
  })

  it('goes further back on a second rollback instead of flipping back and forth', () => {
    const changes = [change('deploy', undefined, '1'), change('promote', '1', '2'), change('deploy', '2', '3'), change('rollback', '3', '2')]
    assert.deepEqual(liveHistory(changes), ['1', '2'])
    assert.equal(rollbackTarget(changes), '1')
  })

  it('ignores changes that leave the live version as it was (shadow deploys, small weight changes)', () => {
    assert.equal(rollbackTarget([change('deploy', undefined, '1'), change('deploy', '1', '1'), change('traffic', '1', '1')]), undefined)
  })

  it('starts over after an undeploy', () => {
    assert.equal(
      rollbackTarget([change('deploy', undefined, '1'), change('deploy', '1', '2'), change('undeploy', '2', undefined), change('deploy', undefined, '3')]),
      undefined,
    )
  })
})
