import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunningServing } from './serve-model.js'
import { diabetesColumns, diabetesRows, postJson, request, serveDir, trainDiabetes } from './test-fixtures.js'
import { tempDir, waitFor } from '../testing/fixtures.js'

describe('Azure ML online endpoint protocol', () => {
  let serving: RunningServing
  let url: string
  let keysFile: string
  const rows = diabetesRows(2)
  const auth = (key: string) => ({ authorization: `Bearer ${key}` })

  before(async () => {
    keysFile = join(await tempDir('keys'), 'keys')
    await writeFile(keysFile, 'file-primary\nfile-secondary\n')
    serving = await serveDir(await trainDiabetes(), { apiKeys: ['env-primary', 'env-secondary'], apiKeysFile: keysFile })
    url = serving.url
  })
  after(() => serving.close(100))

  it('scores {"data": rows} and {"input_data": split} and answers the raw predictions list', async () => {
    const a = await postJson(`${url}/score`, { data: rows }, auth('env-primary'))
    assert.equal(a.status, 200, a.text)
    assert.ok(Array.isArray(a.json()) && a.json().length === 2 && a.json().every((v: unknown) => typeof v === 'number'))
    const b = await postJson(`${url}/score`, { input_data: { columns: diabetesColumns, index: [0, 1], data: rows }, params: {} }, auth('env-secondary'))
    assert.deepEqual(b.json(), a.json())
    const bad = await postJson(`${url}/score`, { data: rows, input_data: rows }, auth('env-primary'))
    assert.equal(bad.status, 400)
    assert.deepEqual(bad.json(), { error: { code: 'BadRequest', message: "the request must have exactly one of 'data' or 'input_data'" } })
  })

  it('answers 401 without a valid key on every scoring route, and leaves health routes open', async () => {
    for (const path of ['/score', '/invocations', '/v2/models/model/infer', '/v1/models/model:predict']) {
      for (const headers of [{}, auth('wrong'), { authorization: 'Basic ZW52LXByaW1hcnk6' }]) {
        const res = await postJson(`${url}${path}`, { data: rows }, headers)
        assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`)
        assert.equal(res.headers.get('www-authenticate'), 'Bearer')
      }
    }
    assert.equal((await request(`${url}/metrics`)).status, 401)
    for (const path of ['/', '/ping', '/health', '/version', '/v2/health/live', '/v2/health/ready'])
      assert.equal((await request(`${url}${path}`)).status, 200, path)
  })

  it('rotates keys when the keys file is rewritten', async () => {
    assert.equal((await postJson(`${url}/score`, { data: rows }, auth('file-primary'))).status, 200)
    await writeFile(keysFile, 'file-secondary\nfile-new\n')
    await waitFor(
      'the old primary key to be refused after rotation',
      async () => (await postJson(`${url}/score`, { data: rows }, auth('file-primary'))).status === 401,
    )
    assert.equal((await postJson(`${url}/score`, { data: rows }, auth('file-new'))).status, 200)
    assert.equal((await postJson(`${url}/score`, { data: rows }, auth('file-secondary'))).status, 200)
    assert.equal((await postJson(`${url}/score`, { data: rows }, auth('env-primary'))).status, 200)
  })
})
