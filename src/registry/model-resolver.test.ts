import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import { SqliteRegistryStore } from '../store/sqlite/registry-store.js'
import { SqliteTrackingStore } from '../store/sqlite/tracking-store.js'
import { parseModelUri } from '../models/index.js'
import { RegistryService } from './registry-service.js'

describe('models:/ URI parsing', () => {
  it('reads versions, stages, latest, aliases and logged model ids as the MLflow client does', () => {
    assert.deepEqual(parseModelUri('models:/fraud/3'), { kind: 'version', name: 'fraud', version: 3 })
    assert.deepEqual(parseModelUri('models:/fraud/production'), { kind: 'stage', name: 'fraud', stage: 'Production' })
    assert.deepEqual(parseModelUri('models:/fraud/Latest'), { kind: 'latest', name: 'fraud' })
    assert.deepEqual(parseModelUri('models:/fraud@champion'), { kind: 'alias', name: 'fraud', alias: 'champion' })
    assert.deepEqual(parseModelUri('models:/a@b@c'), { kind: 'alias', name: 'a@b', alias: 'c' })
    assert.deepEqual(parseModelUri('models:/m-0123456789abcdef0123456789abcdef'), { kind: 'logged-model', modelId: 'm-0123456789abcdef0123456789abcdef' })
  })

  it('refuses malformed URIs with INVALID_PARAMETER_VALUE', () => {
    for (const uri of [
      'models:/',
      'models://host/x/1',
      'models:/a/b/c',
      'models:/fraud/',
      'models:/fraud/Retired',
      'models:/@x',
      'models:/fraud@',
      'models:/fraud',
      'runs:/x/y',
      'models:/x/1?y',
      'models:/x/1#y',
    ]) {
      assert.throws(
        () => parseModelUri(uri),
        (err) => err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE',
        uri,
      )
    }
  })
})

describe('server-side model URI resolution', () => {
  let tracking: SqliteTrackingStore
  let registry: RegistryService
  let runUri: string
  before(async () => {
    tracking = new SqliteTrackingStore(':memory:', { durability: 'normal' })
    registry = new RegistryService(new SqliteRegistryStore(':memory:', { durability: 'normal' }), tracking)
    const run = await tracking.createRun({ runId: 'b'.repeat(32), experimentId: '0', runName: 'r', userId: 'u', startTime: 1, tags: [] })
    runUri = run.info.artifactUri
    await registry.createRegisteredModel({ name: 'fraud', tags: [] }, 'test')
    for (const path of ['v1', 'v2', 'v3'])
      await registry.createModelVersion({ name: 'fraud', source: `${runUri}/${path}`, runId: run.info.runId, tags: [] }, 'test')
    await registry.transitionStage('fraud', '1', 'Production', false, 'test')
    await registry.setAlias('fraud', 'champion', '2', 'test')
  })
  after(async () => {
    await registry.store.close()
    await tracking.close()
  })

  it('resolves a version, an alias, a stage and latest to the version and its storage location', async () => {
    const cases: [string, number][] = [
      ['models:/fraud/1', 1],
      ['models:/fraud@champion', 2],
      ['models:/fraud/Production', 1],
      ['models:/fraud/latest', 3],
      ['models:/fraud@latest', 3],
    ]
    for (const [uri, version] of cases) {
      const resolved = await registry.resolveModelUri(uri)
      assert.equal(resolved.version?.version, version, uri)
      assert.equal(resolved.storageLocation, `${runUri}/v${version}`, uri)
    }
  })

  it('resolves a logged model id to its artifact location', async () => {
    const lm = await tracking.createLoggedModel({ modelId: 'm-11111111111111111111111111111111', experimentId: '0', name: 'm', params: [], tags: [], time: 1 })
    const resolved = await registry.resolveModelUri(`models:/${lm.modelId}`)
    assert.equal(resolved.storageLocation, lm.artifactUri)
    assert.equal(resolved.loggedModel?.modelId, lm.modelId)
  })

  it('answers RESOURCE_DOES_NOT_EXIST when the URI names nothing', async () => {
    for (const uri of [
      'models:/fraud/9',
      'models:/fraud@nobody',
      'models:/fraud/Staging',
      'models:/ghost/latest',
      'models:/m-22222222222222222222222222222222',
    ]) {
      await assert.rejects(registry.resolveModelUri(uri), (err) => err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST', uri)
    }
  })

  it('follows an alias when it moves', async () => {
    await registry.setAlias('fraud', 'champion', '3', 'test')
    assert.equal((await registry.resolveModelUri('models:/fraud@champion')).version?.version, 3)
  })
})
