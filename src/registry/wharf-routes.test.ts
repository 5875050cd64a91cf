import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RegistryApp, makeRegistryApp } from '../server/test-registry-app.js'
import { assertErrorAnswer, tempDir } from '../testing/fixtures.js'

const basic = (user: string) => `Basic ${Buffer.from(`${user}:pw`).toString('base64')}`

describe('registry event log and webhook endpoints', () => {
  let dir: string
  let w: RegistryApp
  let source: string
  let runId: string
  before(async () => {
    dir = await tempDir('wharf-routes')
    w = makeRegistryApp(join(dir, 'artifacts'))
    const run = await w.tracking.createRun({ experimentId: '0', tags: [] })
    runId = run.info.runId
    source = `${run.info.artifactUri}/model`
  })
  after(async () => {
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })

  it("lists a model's changes with time and actor, and pages with after and next_after", async () => {
    const ua = { 'user-agent': 'mlflow-python-client/3.1.0 extra' }
    await w.post('registered-models/create', { name: 'audited' }, ua)
    await w.post('model-versions/create', { name: 'audited', source, run_id: runId }, { authorization: basic('carol') })
    await w.post('model-versions/create', { name: 'audited', source, run_id: runId }, { 'user-agent': '' })
    await w.post('registered-models/alias', { name: 'audited', alias: 'champion', version: '1' }, ua)
    await w.post('registered-models/alias', { name: 'audited', alias: 'champion', version: '2' }, ua)
    await w.post('model-versions/transition-stage', { name: 'audited', version: '2', stage: 'Production', archive_existing_versions: true }, ua)
    await w.post('model-versions/set-tag', { name: 'audited', version: '2', key: 'k', value: 'v' }, ua)
    await w.patch('model-versions/update', { name: 'audited', version: '2', description: 'd' })
    await w.del('registered-models/alias', { name: 'audited', alias: 'champion' })
    const res = await w.get('/api/2.0/wharf/registry/events', { model: 'audited' })
    assert.equal(res.status, 200)
    const events = res.body.events as { event_id: number; event: string; actor: string; time: number; version?: string; alias?: string; data?: any }[]
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'registered_model.created',
        'model_version.created',
        'model_version.created',
        'alias.set',
        'alias.set',
        'model_version.stage_transitioned',
        'model_version.tag_set',
        'model_version.description_set',
        'alias.deleted',
      ],
    )
    assert.deepEqual(
      events.slice(0, 3).map((e) => e.actor),
      ['client:mlflow-python-client/3.1.0', 'carol', 'anonymous'],
    )
    assert.deepEqual(events[4], { ...events[4], event: 'alias.set', alias: 'champion', version: '2', data: { previous_version: '1' } })
    assert.ok(events.every((e) => typeof e.time === 'number' && e.time > 0))
    const page = await w.get('/ajax-api/2.0/wharf/registry/events', { model: 'audited', after: events[1]!.event_id, max_results: 2 })
    assert.deepEqual(
      page.body.events.map((e: { event_id: number }) => e.event_id),
      [events[2]!.event_id, events[3]!.event_id],
    )
    assert.equal(page.body.next_after, events[3]!.event_id)
    assert.deepEqual((await w.get('/api/2.0/wharf/registry/events', { model: 'never-existed' })).body, { events: [] })
    assertErrorAnswer(await w.get('/api/2.0/wharf/registry/events', { model: 'audited', max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE')
  })

  it('registers a webhook without ever returning the secret it was given', async () => {
    const res = await w.post('/api/2.0/wharf/registry/webhooks', {
      url: 'http://127.0.0.1:8999/hook',
      events: ['model_version.created', 'alias.set'],
      model_name: 'audited',
      secret: 'top-secret-value',
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.secret, undefined)
    assert.equal(res.body.webhook.url, 'http://127.0.0.1:8999/hook')
    assert.deepEqual(res.body.webhook.events, ['model_version.created', 'alias.set'])
    const list = await w.get('/api/2.0/wharf/registry/webhooks')
    assert.ok(list.body.webhooks.some((h: { webhook_id: string }) => h.webhook_id === res.body.webhook.webhook_id))
    assert.doesNotMatch(JSON.stringify(list.body), /top-secret-value/)
    const deliveries = await w.get('/api/2.0/wharf/registry/webhooks/deliveries', { webhook_id: res.body.webhook.webhook_id })
    assert.deepEqual(deliveries.body, { deliveries: [] })
  })

  it('generates a secret when none is given and shows it once', async () => {
    const res = await w.post('/api/2.0/wharf/registry/webhooks', { url: 'https://hooks.example/x', events: ['*'] })
    assert.equal(res.status, 200)
    assert.match(res.body.secret, /^[0-9a-f]{64}$/)
    assert.doesNotMatch(JSON.stringify((await w.get('/api/2.0/wharf/registry/webhooks')).body), new RegExp(res.body.secret))
  })

  it('queues deliveries for matching events and lists them with their event', async () => {
    const hook = (
      await w.post('/api/2.0/wharf/registry/webhooks', { url: 'http://127.0.0.1:9/x', events: ['alias.*'], model_name: 'queued', secret: 'secret-123' })
    ).body.webhook
    await w.post('registered-models/create', { name: 'queued' })
    await w.post('model-versions/create', { name: 'queued', source, run_id: runId })
    await w.post('registered-models/alias', { name: 'queued', alias: 'champion', version: '1' })
    const res = await w.get('/api/2.0/wharf/registry/webhooks/deliveries', { webhook_id: hook.webhook_id })
    assert.equal(res.body.deliveries.length, 1)
    const [d] = res.body.deliveries
    assert.equal(d.status, 'pending')
    assert.equal(d.event.event, 'alias.set')
    assert.equal(d.event.model, 'queued')
    assert.equal(d.event.version, '1')
    assert.equal(d.event.alias, 'champion')
    assert.deepEqual(d.attempts, [])
  })

  it('refuses webhook URLs that are not http(s) or that point at link-local or metadata addresses', async () => {
    const refused = [
      'ftp://hooks.example/x',
      'file:///etc/passwd',
      'gopher://hooks.example/',
      'javascript:alert(1)',
      'not a url',
      '/relative',
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://169.254.1.1/',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.GOOGLE.INTERNAL./x',
      'http://100.100.100.200/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://0xa9fea9fe/',
      'http://2852039166/',
      'http://[fe80::1]/',
      'http://0.0.0.0/',
      'http://[::]/',
      'http://user:pw@evil.example@127.0.0.1/',
      'http://user@hooks.example/',
      'http://rebind.example/',
      'http://v6meta.example/',
      'http://does-not-resolve.example/',
    ]
    for (const url of refused) {
      const res = await w.post('/api/2.0/wharf/registry/webhooks', { url, events: ['*'], secret: 'secret-123' })
      assert.equal(res.status, 400, url)
      assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE', url)
    }
  })

  it('keeps loopback and private receivers allowed, for tests, CI and in-cluster pipelines', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost:8080/hook'.replace('localhost', '[::1]'),
      'http://10.0.0.5/hook',
      'https://hooks.example/hook',
    ]) {
      const res = await w.post('/api/2.0/wharf/registry/webhooks', { url, events: ['*'], secret: 'secret-123' })
      assert.equal(res.status, 200, `${url}: ${JSON.stringify(res.body)}`)
    }
  })

  it('refuses unknown events, a short secret and a malformed model name', async () => {
    const register = (body: Record<string, unknown>) =>
      w.post('/api/2.0/wharf/registry/webhooks', { url: 'http://127.0.0.1:9/', secret: 'secret-123', ...body })
    assertErrorAnswer(await register({ events: ['model.exploded'] }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await register({ events: [] }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await register({ events: ['*'], secret: 'short' }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await register({ events: ['*'], model_name: 'a/b' }), 400, 'INVALID_PARAMETER_VALUE')
    assertErrorAnswer(await register({}), 400, 'INVALID_PARAMETER_VALUE')
  })

  it('deletes a webhook and answers RESOURCE_DOES_NOT_EXIST for an unknown one', async () => {
    const hook = (await w.post('/api/2.0/wharf/registry/webhooks', { url: 'http://127.0.0.1:9/', events: ['*'], secret: 'secret-123' })).body.webhook
    assert.deepEqual((await w.del(`/api/2.0/wharf/registry/webhooks/${hook.webhook_id}`)).body, {})
    const again = await w.del(`/api/2.0/wharf/registry/webhooks/${hook.webhook_id}`)
    assert.equal(again.status, 404)
    assert.equal(again.body.error_code, 'RESOURCE_DOES_NOT_EXIST')
    assertErrorAnswer(await w.get('/api/2.0/wharf/registry/webhooks/deliveries', { webhook_id: hook.webhook_id }), 404, 'RESOURCE_DOES_NOT_EXIST')
    assertErrorAnswer(await w.get('/api/2.0/wharf/registry/webhooks/deliveries'), 400, 'INVALID_PARAMETER_VALUE')
  })
})
