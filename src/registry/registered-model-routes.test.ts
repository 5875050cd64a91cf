import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RegistryApp, makeRegistryApp } from '../server/test-registry-app.js'
import { assertErrorAnswer, tempDir } from '../testing/fixtures.js'

describe('registered model endpoints', () => {
  let dir: string
  let w: RegistryApp
  let source: string
  let runId: string
  before(async () => {
    dir = await tempDir('registry')
    w = makeRegistryApp(join(dir, 'artifacts'))
    const run = await w.tracking.createRun({ experimentId: '0', tags: [] })
    runId = run.info.runId
    source = `${run.info.artifactUri}/model`
  })
  after(async () => {
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })
  const createModel = async (name: string, versions = 0) => {
    assert.equal((await w.post('registered-models/create', { name })).status, 200)
    for (let i = 0; i < versions; i++) assert.equal((await w.post('model-versions/create', { name, source, run_id: runId })).status, 200)
  }

  it("creates and gets a registered model in MLflow's shape under /api and /ajax-api", async () => {
    const created = await w.post('registered-models/create', { name: 'shape', description: 'd', tags: [{ key: 'team', value: 'ml' }] })
    assert.equal(created.status, 200)
    const rm = created.body.registered_model
    assert.equal(rm.name, 'shape')
    assert.equal(rm.description, 'd')
    assert.deepEqual(rm.tags, [{ key: 'team', value: 'ml' }])
    assert.equal(typeof rm.creation_timestamp, 'number')
    assert.equal(rm.latest_versions, undefined, 'empty lists are left out')
    for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
      const got = await w.get(`${prefix}/registered-models/get`, { name: 'shape' })
      assert.equal(got.status, 200)
      assert.deepEqual(got.body.registered_model, rm)
    }
  })

  it('answers a duplicate name with RESOURCE_ALREADY_EXISTS and status 400', async () => {
    await createModel('dup')
    const again = await w.post('registered-models/create', { name: 'dup' })
    assert.equal(again.status, 400)
    assert.equal(again.body.error_code, 'RESOURCE_ALREADY_EXISTS')
  })

  it('refuses a missing or invalid name with INVALID_PARAMETER_VALUE', async () => {
    const missing = await w.post('registered-models/create', {})
    assertErrorAnswer(missing, 400, 'INVALID_PARAMETER_VALUE')
    assert.match(missing.body.message, /Missing value for required parameter 'name'/)
    for (const name of ['a/b', 'a:b', '  ', '..', 'x'.repeat(300)]) {
      const res = await w.post('registered-models/create', { name })
      assert.equal(res.status, 400, name)
      assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE', name)
    }
  })

  it('answers an unknown model with RESOURCE_DOES_NOT_EXIST and status 404 on every endpoint', async () => {
    const answers = [
      await w.get('registered-models/get', { name: 'ghost' }),
      await w.post('registered-models/rename', { name: 'ghost', new_name: 'ghost2' }),
      await w.patch('registered-models/update', { name: 'ghost', description: 'x' }),
      await w.del('registered-models/delete', { name: 'ghost' }),
      await w.post('registered-models/set-tag', { name: 'ghost', key: 'k', value: 'v' }),
      await w.del('registered-models/delete-tag', { name: 'ghost', key: 'k' }),
      await w.post('registered-models/get-latest-versions', { name: 'ghost' }),
      await w.post('registered-models/alias', { name: 'ghost', alias: 'a', version: '1' }),
      await w.del('registered-models/alias', { name: 'ghost', alias: 'a' }),
      await w.get('registered-models/alias', { name: 'ghost', alias: 'a' }),
      await w.post('model-versions/create', { name: 'ghost', source, run_id: runId }),
    ]
    for (const [i, res] of answers.entries()) {
      assert.equal(res.status, 404, `call ${i}`)
      assert.equal(res.body.error_code, 'RESOURCE_DOES_NOT_EXIST', `call ${i}`)
    }
  })

  it('renames a model together with its versions and aliases', async () => {
    await createModel('before', 2)
    await w.post('registered-models/alias', { name: 'before', alias: 'champion', version: '2' })
    const renamed = await w.post('registered-models/rename', { name: 'before', new_name: 'after' })
    assert.equal(renamed.status, 200)
    assert.equal(renamed.body.registered_model.name, 'after')
    assert.deepEqual(renamed.body.registered_model.aliases, [{ alias: 'champion', version: '2' }])
    assert.equal((await w.get('model-versions/get', { name: 'after', version: '2' })).body.model_version.name, 'after')
    assert.equal((await w.get('registered-models/get', { name: 'before' })).status, 404)
    const clash = await w.post('registered-models/rename', { name: 'after', new_name: 'dup' })
    assert.equal(clash.body.error_code, 'RESOURCE_ALREADY_EXISTS')
    assertErrorAnswer(await w.post('registered-models/rename', { name: 'after', new_name: 'bad/name' }), 400, 'INVALID_PARAMETER_VALUE')
  })

  it('updates the description with PATCH and deletes with DELETE carrying a JSON body', async () => {
    await createModel('doomed', 1)
    const updated = await w.patch('registered-models/update', { name: 'doomed', description: 'new' })
    assert.equal(updated.body.registered_model.description, 'new')
    assert.deepEqual((await w.del('registered-models/delete', { name: 'doomed' })).body, {})
    assertErrorAnswer(await w.get('registered-models/get', { name: 'doomed' }), 404, 'RESOURCE_DOES_NOT_EXIST')
    assertErrorAnswer(await w.get('model-versions/get', { name: 'doomed', version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST')
  })

  it('sets and deletes model tags, validating keys', async () => {
    await createModel('tagged')
    assert.deepEqual((await w.post('registered-models/set-tag', { name: 'tagged', key: 'k', value: 'v' })).body, {})
    assert.deepEqual((await w.get('registered-models/get', { name: 'tagged' })).body.registered_model.tags, [{ key: 'k', value: 'v' }])
    assert.deepEqual((await w.del('registered-models/delete-tag', { name: 'tagged', key: 'k' })).body, {})
    assert.equal((await w.get('registered-models/get', { name: 'tagged' })).body.registered_model.tags, undefined)
    assertErrorAnswer(await w.post('registered-models/set-tag', { name: 'tagged', key: '../x', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await w.post('registered-models/set-tag', { name: 'tagged', key: 'k', value: 'v'.repeat(100_001) }), 400, 'INVALID_PARAMETER_VALUE')
  })

  it('searches with filter, order_by and pages, and refuses a bad filter or max_results', async () => {
    for (const [n, tier] of [
      ['s-b', 'gold'],
      ['s-a', 'gold'],
      ['s-c', 'bronze'],
    ]) {
      await w.post('registered-models/create', { name: n, tags: [{ key: 'tier', value: tier! }] })
    }
    const names = (res: { body: any }) => (res.body.registered_models ?? []).map((m: { name: string }) => m.name)
    assert.deepEqual(names(await w.get('registered-models/search', { filter: "name LIKE 's-%'" })), ['s-a', 's-b', 's-c'])
    assert.deepEqual(names(await w.get('registered-models/search', { filter: "name LIKE 's-%' AND tags.tier = 'gold'" })), ['s-a', 's-b'])
    assert.deepEqual(names(await w.get('registered-models/search', { filter: "name ILIKE 'S-%'", order_by: ['name DESC'] })), ['s-c', 's-b', 's-a'])
    const first = await w.get('registered-models/search', { filter: "name LIKE 's-%'", max_results: 2 })
    assert.deepEqual(names(first), ['s-a', 's-b'])
    const second = await w.get('registered-models/search', { filter: "name LIKE 's-%'", max_results: 2, page_token: first.body.next_page_token })
    assert.deepEqual(names(second), ['s-c'])
    assert.equal(second.body.next_page_token, undefined)
    assertErrorAnswer(await w.get('registered-models/search', { filter: "name = 's-a' OR name = 's-b'" }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await w.get('registered-models/search', { filter: "run_id = 'x'" }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await w.get('registered-models/search', { max_results: 1001 }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await w.get('registered-models/search', { page_token: 'garbage' }), 400, 'INVALID_PARAMETER_VALUE')
  })

  it('hides prompts from searches as the MLflow 3 client expects, unless the filter asks for them', async () => {
    await w.post('registered-models/create', { name: 'p-prompt', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] })
    await w.post('registered-models/create', { name: 'p-model' })
    const names = async (filter: string) =>
      ((await w.get('registered-models/search', { filter })).body.registered_models ?? []).map((m: { name: string }) => m.name)
    assert.deepEqual(await names("name LIKE 'p-%' AND tag.`mlflow.prompt.is_prompt` != 'true'"), ['p-model'])
    assert.deepEqual(await names("name LIKE 'p-%'"), ['p-model'])
    assert.deepEqual(await names("name LIKE 'p-%' AND tags.`mlflow.prompt.is_prompt` = 'true'"), ['p-prompt'])
  })

  it('sets, moves, reads and deletes aliases, refusing reserved and malformed names', async () => {
    await createModel('aliased', 3)
    assert.deepEqual((await w.post('registered-models/alias', { name: 'aliased', alias: 'champion', version: '1' })).body, {})
    assert.deepEqual(
      (await w.post('registered-models/alias', { name: 'aliased', alias: 'champion', version: 3 })).body,
      {},
      'a numeric version is accepted too',
    )
    const got = await w.get('registered-models/alias', { name: 'aliased', alias: 'champion' })
    assert.equal(got.body.model_version.version, '3')
    assert.deepEqual(got.body.model_version.aliases, ['champion'])
    assert.deepEqual((await w.get('registered-models/get', { name: 'aliased' })).body.registered_model.aliases, [{ alias: 'champion', version: '3' }])
    assert.equal((await w.get('registered-models/alias', { name: 'aliased', alias: 'latest' })).body.model_version.version, '3')
    for (const alias of ['latest', 'LATEST', 'v1', 'V12', 'has space', 'dots.no', 'ümlaut', 'x'.repeat(256), '']) {
      const res = await w.post('registered-models/alias', { name: 'aliased', alias, version: '1' })
      assert.equal(res.status, 400, alias)
      assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE', alias)
    }
    assertErrorAnswer(await w.post('registered-models/alias', { name: 'aliased', alias: 'x', version: '9' }), 404, 'RESOURCE_DOES_NOT_EXIST')
    assertErrorAnswer(await w.post('registered-models/alias', { name: 'aliased', alias: 'x', version: 'one' }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await w.get('registered-models/alias', { name: 'aliased', alias: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST')
    assert.deepEqual((await w.del('registered-models/alias', { name: 'aliased', alias: 'champion' })).body, {})
    assertErrorAnswer(await w.get('registered-models/alias', { name: 'aliased', alias: 'champion' }), 404, 'RESOURCE_DOES_NOT_EXIST')
  })

  it('answers get-latest-versions over POST and GET, per stage, with stage names in any case', async () => {
    await createModel('staged', 3)
    await w.post('model-versions/transition-stage', { name: 'staged', version: '1', stage: 'production', archive_existing_versions: false })
    await w.post('model-versions/transition-stage', { name: 'staged', version: '2', stage: 'STAGING', archive_existing_versions: false })
    const versions = (res: { body: any }) =>
      (res.body.model_versions ?? []).map((v: { version: string; current_stage: string }) => `${v.current_stage}:${v.version}`)
    assert.deepEqual(versions(await w.post('registered-models/get-latest-versions', { name: 'staged' })), ['None:3', 'Staging:2', 'Production:1'])
    assert.deepEqual(versions(await w.post('registered-models/get-latest-versions', { name: 'staged', stages: ['Production'] })), ['Production:1'])
    assert.deepEqual(versions(await w.get('registered-models/get-latest-versions', { name: 'staged', stages: ['staging', 'none'] })), ['Staging:2', 'None:3'])
    assert.deepEqual((await w.post('registered-models/get-latest-versions', { name: 'staged', stages: ['Archived'] })).body, {})
    assertErrorAnswer(await w.post('registered-models/get-latest-versions', { name: 'staged', stages: ['Prod'] }), 400, 'INVALID_PARAMETER_VALUE')
    const latest = (await w.get('registered-models/get', { name: 'staged' })).body.registered_model.latest_versions
    assert.deepEqual(
      latest.map((v: { version: string }) => v.version),
      ['3', '2', '1'],
    )
  })
})
