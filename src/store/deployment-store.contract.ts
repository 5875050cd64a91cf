import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Instance } from '../deploy/entities.js'
import type { DeploymentStore } from './deployment-store.js'

/** The behaviour every DeploymentStore must show, run against each backend on one empty store. */
export function describeDeploymentStore(name: string, makeStore: () => Promise<DeploymentStore>): void {
  describe(`DeploymentStore contract: ${name}`, () => {
    let store: DeploymentStore
    before(async () => {
      store = await makeStore()
    })
    after(async () => {
      await store.close()
    })

    const instance = (id: string, environment: string, modelName: string, startTime: number): Instance => ({
      instanceId: id,
      environment,
      modelName,
      version: '1',
      modelUri: `models:/${modelName}/1`,
      port: 4000 + startTime,
      pid: 100 + startTime,
      startTime,
    })

    it('creates an endpoint, then updates its traffic and router port in place', async () => {
      const created = await store.putEndpoint({ environment: 'staging', modelName: 'm', target: 'local', traffic: { weights: { '1': 100 } } }, 1000)
      assert.deepEqual([created.creationTime, created.lastUpdateTime, created.routerPort], [1000, 1000, undefined])
      const updated = await store.putEndpoint(
        {
          environment: 'staging',
          modelName: 'm',
          target: 'local',
          routerPort: 5001,
          traffic: { weights: { '1': 90, '2': 10 }, shadow: { version: '3', percent: 5 } },
        },
        2000,
      )
      assert.deepEqual([updated.creationTime, updated.lastUpdateTime, updated.routerPort], [1000, 2000, 5001])
      await store.setTraffic('staging', 'm', { weights: { '2': 100 } }, 3000)
      const got = await store.getEndpoint('staging', 'm')
      assert.deepEqual(got?.traffic, { weights: { '2': 100 } })
      assert.equal(got?.lastUpdateTime, 3000)
      assert.equal(await store.getEndpoint('staging', 'other'), undefined)
    })

    it('lists endpoints by environment and model name', async () => {
      await store.putEndpoint({ environment: 'production', modelName: 'b', target: 'local', traffic: { weights: {} } }, 1000)
      await store.putEndpoint({ environment: 'production', modelName: 'a', target: 'container', traffic: { weights: {} } }, 1000)
      assert.deepEqual(
        (await store.listEndpoints()).map((e) => `${e.environment}/${e.modelName}`),
        ['production/a', 'production/b', 'staging/m'],
      )
      assert.deepEqual(
        (await store.listEndpoints('production')).map((e) => [e.modelName, e.target]),
        [
          ['a', 'container'],
          ['b', 'local'],
        ],
      )
    })

    it('keeps instances per endpoint and drops them with their endpoint', async () => {
      await store.putInstance(instance('i2', 'production', 'a', 2))
      await store.putInstance(instance('i1', 'production', 'a', 1))
      await store.putInstance(instance('i3', 'production', 'b', 3))
      await store.putInstance({ ...instance('i1', 'production', 'a', 1), port: 9999, pid: undefined })
      assert.deepEqual(
        (await store.listInstances('production', 'a')).map((i) => [i.instanceId, i.port, i.pid]),
        [
          ['i1', 9999, undefined],
          ['i2', 4002, 102],
        ],
      )
      assert.equal((await store.listInstances()).length, 3)
      await store.deleteInstance('i2')
      await store.deleteEndpoint('production', 'a')
      assert.deepEqual(
        (await store.listInstances()).map((i) => i.instanceId),
        ['i3'],
      )
    })

    it('records changes with increasing ids and lists the newest ones oldest first', async () => {
      const ids: number[] = []
      for (let i = 0; i < 4; i++) {
        const c = await store.recordChange({ time: i, actor: 'me', action: 'deploy', environment: 'dev', modelName: 'c', toVersion: String(i), data: { i } })
        ids.push(c.changeId)
      }
      assert.deepEqual(
        ids,
        [...ids].sort((x, y) => x - y),
      )
      const last = await store.listChanges({ environment: 'dev', modelName: 'c', limit: 2 })
      assert.deepEqual(
        last.map((c) => [c.toVersion, c.data]),
        [
          ['2', { i: 2 }],
          ['3', { i: 3 }],
        ],
      )
      assert.equal((await store.listChanges({ environment: 'nowhere' })).length, 0)
    })

    it('keeps one key record per slot, replaces it, and forgets an endpoint’s keys', async () => {
      const key = { environment: 'dev', modelName: 'k', salt: 's1', digest: 'd1', creationTime: 1 }
      await store.putEndpointKey({ ...key, slot: 'secondary' })
      await store.putEndpointKey({ ...key, slot: 'primary' })
      await store.putEndpointKey({ ...key, slot: 'primary', salt: 's2', digest: 'd2', creationTime: 2 })
      assert.deepEqual(
        (await store.getEndpointKeys('dev', 'k')).map((k) => [k.slot, k.salt, k.digest, k.creationTime]),
        [
          ['primary', 's2', 'd2', 2],
          ['secondary', 's1', 'd1', 1],
        ],
      )
      await store.deleteEndpointKeys('dev', 'k')
      assert.deepEqual(await store.getEndpointKeys('dev', 'k'), [])
    })
  })
}
