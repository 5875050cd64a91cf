import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RegistryApp, makeRegistryApp } from '../server/test-registry-app.js'
import { assertErrorAnswer, tempDir } from '../testing/fixtures.js'

describe('model version endpoints', () => {
  let dir: string
  let w: RegistryApp
  let runId: string
  let runUri: string
  before(async () => {
    dir = await tempDir('registry')
    w = makeRegistryApp(join(dir, 'artifacts'))
    const run = await w.tracking.createRun({ experimentId: '0', tags: [] })
    runId = run.info.runId
    runUri = run.info.artifactUri
  })
  after(async () => {
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })
  const model = async (name: string) => assert.equal((await w.post('registered-models/create', { name })).status, 200)
  const version = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await w.post('model-versions/create', { name, source: `${runUri}/model`, run_id: runId, ...extra })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body.model_version
  }

  it('creates versions "1", "2", "3" in MLflow\'s shape, READY at once', async () => {
    await model('numbered')
    const v1 = await version('numbered', { tags: [{ key: 'k', value: 'v' }], description: 'first', run_link: 'http://ci/run/1' })
    assert.deepEqual(
      { ...v1, creation_timestamp: 0, last_updated_timestamp: 0 },
      {
        name: 'numbered',
        version: '1',
        creation_timestamp: 0,
        last_updated_timestamp: 0,
        current_stage: 'None',
        description: 'first',
        source: `${runUri}/model`,
        run_id: runId,
        status: 'READY',
        tags: [{ key: 'k', value: 'v' }],
        run_link: 'http://ci/run/1',
      },
    )
    assert.equal((await version('numbered')).version, '2')
    assert.equal((await version('numbered')).version, '3')
    const rm = (await w.get('registered-models/get', { name: 'numbered' })).body.registered_model
    assert.deepEqual(
      rm.latest_versions.map((v: { version: string }) => v.version),
      ['3'],
    )
  })

  it("resolves a runs:/ source to the run's artifact location and fills run_id", async () => {
    await model('from-run')
    const v = await version('from-run', { source: `runs:/${runId}/model`, run_id: undefined })
    assert.equal(v.source, `runs:/${runId}/model`)
    assert.equal(v.run_id, runId)
    assert.equal((await w.get('model-versions/get-download-uri', { name: 'from-run', version: '1' })).body.artifact_uri, `${runUri}/model`)
  })

  it("resolves a models:/<model_id> source to the logged model's artifacts and fills run_id and model_id", async () => {
    await model('from-logged-model')
    const lm = await w.trackingStore.createLoggedModel({
      modelId: 'm-0123456789abcdef0123456789abcdef',
      experimentId: '0',
      name: 'model',
      sourceRunId: runId,
      params: [],
      tags: [],
      time: 1,
    })
    const v = await version('from-logged-model', { source: `models:/${lm.modelId}`, run_id: undefined, model_id: lm.modelId })
    assert.equal(v.model_id, lm.modelId)
    assert.equal(v.run_id, runId)
    assert.equal(v.source, `models:/${lm.modelId}`)
    const uri = (await w.get('model-versions/get-download-uri', { name: 'from-logged-model', version: '1' })).body.artifact_uri
    assert.equal(uri, lm.artifactUri)
    assert.match(uri, /^mlflow-artifacts:\/0\/models\/m-[0-9a-f]{32}\/artifacts$/)
  })

  it('gets, updates, tags and deletes a version, and answers 404 for an unknown one and 400 for a non-number', async () => {
    await model('lifecycle')
    await version('lifecycle')
    assert.equal((await w.get('model-versions/get', { name: 'lifecycle', version: '1' })).body.model_version.version, '1')
    const updated = await w.patch('model-versions/update', { name: 'lifecycle', version: '1', description: 'better' })
    assert.equal(updated.body.model_version.description, 'better')
    assert.deepEqual((await w.post('model-versions/set-tag', { name: 'lifecycle', version: '1', key: 'ok', value: 'yes' })).body, {})
    assert.deepEqual((await w.get('model-versions/get', { name: 'lifecycle', version: '1' })).body.model_version.tags, [{ key: 'ok', value: 'yes' }])
    assert.deepEqual((await w.del('model-versions/delete-tag', { name: 'lifecycle', version: '1', key: 'ok' })).body, {})
    for (const res of [
      await w.get('model-versions/get', { name: 'lifecycle', version: '7' }),
      await w.patch('model-versions/update', { name: 'lifecycle', version: '7', description: 'x' }),
      await w.post('model-versions/set-tag', { name: 'lifecycle', version: '7', key: 'k', value: 'v' }),
      await w.get('model-versions/get-download-uri', { name: 'lifecycle', version: '7' }),
      await w.post('model-versions/transition-stage', { name: 'lifecycle', version: '7', stage: 'Staging', archive_existing_versions: false }),
      await w.del('model-versions/delete', { name: 'lifecycle', version: '7' }),
    ]) {
      assert.equal(res.status, 404)
      assert.equal(res.body.error_code, 'RESOURCE_DOES_NOT_EXIST')
    }
    const bad = await w.get('model-versions/get', { name: 'lifecycle', version: 'one' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error_code, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await w.get('model-versions/get', { name: 'lifecycle' }), 400, 'INVALID_PARAMETER_VALUE')
    assert.deepEqual((await w.del('model-versions/delete', { name: 'lifecycle', version: '1' })).body, {})
    assertErrorAnswer(await w.get('model-versions/get', { name: 'lifecycle', version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST')
  })

  it("drops a deleted version's aliases", async () => {
    await model('alias-drop')
    await version('alias-drop')
    await w.post('registered-models/alias', { name: 'alias-drop', alias: 'champion', version: '1' })
    await w.del('model-versions/delete', { name: 'alias-drop', version: '1' })
    assertErrorAnswer(await w.get('registered-models/alias', { name: 'alias-drop', alias: 'champion' }), 404, 'RESOURCE_DOES_NOT_EXIST')
    assert.equal((await w.get('registered-models/get', { name: 'alias-drop' })).body.registered_model.aliases, undefined)
  })

  it('transitions stages case-insensitively and archives the others only for Staging and Production', async () => {
    await model('stages')
    for (let i = 0; i < 3; i++) await version('stages')
    const move = (v: string, stage: string, archive: unknown) =>
      w.post('model-versions/transition-stage', { name: 'stages', version: v, stage, archive_existing_versions: archive })
    assert.equal((await move('1', 'production', false)).body.model_version.current_stage, 'Production')
    assert.equal((await move('2', 'Production', 'false')).body.model_version.current_stage, 'Production')
    const promoted = await move('3', 'PRODUCTION', true)
    assert.equal(promoted.body.model_version.current_stage, 'Production')
    const stageOf = async (v: string) => (await w.get('model-versions/get', { name: 'stages', version: v })).body.model_version.current_stage
    assert.deepEqual([await stageOf('1'), await stageOf('2'), await stageOf('3')], ['Archived', 'Archived', 'Production'])
    const refused = await move('1', 'Archived', true)
    assertErrorAnswer(refused, 400, 'INVALID_PARAMETER_VALUE')
    assert.match(refused.body.message, /not an Active stage/)
    assertErrorAnswer(await move('1', 'Retired', false), 400, 'INVALID_PARAMETER_VALUE')
    const missing = await w.post('model-versions/transition-stage', { name: 'stages', version: '1', stage: 'None' })
    assertErrorAnswer(missing, 400, 'INVALID_PARAMETER_VALUE')
    assert.match(missing.body.message, /archive_existing_versions/)
  })

  it('searches versions by name, run id list, version number and tag, ordered and paged', async () => {
    await model('searched')
    const other = await w.tracking.createRun({ experimentId: '0', tags: [] })
    await version('searched', { tags: [{ key: 'good', value: 'yes' }] })
    await version('searched', { source: `${other.info.artifactUri}/m`, run_id: other.info.runId })
    await version('searched', { tags: [{ key: 'good', value: 'yes' }] })
    const versions = async (params: Record<string, string | number | string[]>) =>
      ((await w.get('model-versions/search', params)).body.model_versions ?? []).map((v: { version: string }) => v.version)
    assert.deepEqual(await versions({ filter: "name = 'searched'" }), ['3', '2', '1'])
    assert.deepEqual(await versions({ filter: `name = 'searched' AND run_id IN ('${other.info.runId}')` }), ['2'])
    assert.deepEqual(await versions({ filter: "name = 'searched' AND version_number <= 2" }), ['2', '1'])
    assert.deepEqual(await versions({ filter: "name = 'searched' AND tags.good = 'yes'" }), ['3', '1'])
    assert.deepEqual(await versions({ filter: "name = 'searched'", order_by: ['version_number ASC'] }), ['1', '2', '3'])
    const page = await w.get('model-versions/search', { filter: "name = 'searched'", max_results: 2 })
    assert.deepEqual(
      page.body.model_versions.map((v: { version: string }) => v.version),
      ['3', '2'],
    )
    const rest = await w.get('model-versions/search', { filter: "name = 'searched'", max_results: 2, page_token: page.body.next_page_token })
    assert.deepEqual(
      rest.body.model_versions.map((v: { version: string }) => v.version),
      ['1'],
    )
    assertErrorAnswer(await w.get('model-versions/search', { filter: "stage = 'x'" }), 400, 'INVALID_PARAMETER_VALUE')
  })

  it('copies a version from models:/<name>/<version> with its storage location', async () => {
    await model('copy-from')
    await version('copy-from')
    await model('copy-to')
    const copied = await w.post('model-versions/create', { name: 'copy-to', source: 'models:/copy-from/1' })
    assert.equal(copied.status, 200)
    assert.equal(copied.body.model_version.run_id, runId)
    assert.equal((await w.get('model-versions/get-download-uri', { name: 'copy-to', version: '1' })).body.artifact_uri, `${runUri}/model`)
  })
})
