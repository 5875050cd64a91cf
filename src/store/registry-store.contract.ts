import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import type { ChangeContext, DueDelivery, DueWebhookDelivery } from '../registry/entities.js'
import type { SearchClause } from '../tracking/search/filter-ast.js'
import type { NewModelVersion, RegistrySearchQuery, RegistryStore } from './registry-store.js'

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof MlflowError && err.code === code)
}

let clock = 1_000
const by = (actor = 'alice'): ChangeContext => ({ time: ++clock, actor })
let counter = 0
const unique = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`
const version = (name: string, extra: Partial<NewModelVersion> = {}): NewModelVersion => ({
  name,
  source: 'mlflow-artifacts:/0/r/artifacts/model',
  storageLocation: 'mlflow-artifacts:/0/r/artifacts/model',
  runId: 'r',
  tags: [],
  ...extra,
})
const query = (clauses: SearchClause[], extra: Partial<RegistrySearchQuery> = {}): RegistrySearchQuery => ({
  clauses,
  orderBy: [],
  maxResults: 1000,
  prompts: 'exclude',
  ...extra,
})
/** The due deliveries of one registry webhook (the queue holds direct ones too). */
const ofHook =
  (webhookId: string) =>
  (d: DueDelivery): d is DueWebhookDelivery =>
    d.webhookId === webhookId
const nameIs = (name: string): SearchClause => ({ entity: 'attribute', key: 'name', comparator: '=', value: name })

/**
 * The behaviour every RegistryStore must show, run against each backend (the tracking contract's
 * pattern): `sqlite/registry-store.test.ts` runs it in memory.
 */
export function describeRegistryStore(name: string, makeStore: () => Promise<RegistryStore>): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let store: RegistryStore
    before(async () => {
      store = await makeStore()
    })
    after(async () => {
      await store.close()
    })

    const newModel = async (prefix = 'model', versions = 0) => {
      const model = unique(prefix)
      await store.createRegisteredModel({ name: model, tags: [] }, by())
      for (let i = 0; i < versions; i++) await store.createModelVersion(version(model), by())
      return model
    }
    const eventTypes = async (model: string) => (await store.listEvents({ model, maxResults: 1000 })).map((e) => e.type)

    it('creates a registered model with tags and a description, and no versions yet', async () => {
      const model = unique('created')
      const created = await store.createRegisteredModel({ name: model, description: 'd', tags: [{ key: 't', value: 'v' }] }, by())
      assert.equal(created.name, model)
      assert.equal(created.description, 'd')
      assert.deepEqual(created.tags, [{ key: 't', value: 'v' }])
      assert.deepEqual(created.latestVersions, [])
      assert.deepEqual(created.aliases, [])
      assert.equal(created.creationTimestamp, created.lastUpdatedTimestamp)
    })

    it('returns RESOURCE_ALREADY_EXISTS for a taken model name, on create and on rename', async () => {
      const a = await newModel()
      const b = await newModel()
      await rejectsWith(store.createRegisteredModel({ name: a, tags: [] }, by()), 'RESOURCE_ALREADY_EXISTS')
      await rejectsWith(store.renameRegisteredModel(b, a, by()), 'RESOURCE_ALREADY_EXISTS')
    })

    it('returns RESOURCE_DOES_NOT_EXIST for an unknown model, version or alias', async () => {
      const model = await newModel('known', 1)
      await rejectsWith(store.getRegisteredModel('no-such-model'), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.getModelVersion(model, 9), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.getModelVersion('no-such-model', 1), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.getVersionByAlias(model, 'nope'), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.setAlias(model, 'champion', 9, by()), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.createModelVersion(version('no-such-model'), by()), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.deleteRegisteredModel('no-such-model', by()), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('numbers versions 1, 2, 3 per model and never reuses a deleted number', async () => {
      const model = await newModel('numbers')
      const numbers = []
      for (let i = 0; i < 3; i++) numbers.push((await store.createModelVersion(version(model), by())).version)
      assert.deepEqual(numbers, [1, 2, 3])
      await store.deleteModelVersion(model, 3, by())
      assert.equal((await store.createModelVersion(version(model), by())).version, 4)
      assert.equal((await store.createModelVersion(version(await newModel('other')), by())).version, 1)
    })

    it('stores a version with its source, storage location, lineage, tags and READY status', async () => {
      const model = await newModel('stored')
      const v = await store.createModelVersion(
        version(model, {
          source: 'models:/m-1',
          storageLocation: 'mlflow-artifacts:/1/models/m-1/artifacts',
          modelId: 'm-1',
          runLink: 'http://x',
          description: 'first',
          tags: [{ key: 'k', value: 'v' }],
        }),
        by(),
      )
      const got = await store.getModelVersion(model, v.version)
      assert.equal(got.source, 'models:/m-1')
      assert.equal(got.storageLocation, 'mlflow-artifacts:/1/models/m-1/artifacts')
      assert.equal(got.runId, 'r')
      assert.equal(got.modelId, 'm-1')
      assert.equal(got.runLink, 'http://x')
      assert.equal(got.description, 'first')
      assert.equal(got.status, 'READY')
      assert.equal(got.currentStage, 'None')
      assert.deepEqual(got.tags, [{ key: 'k', value: 'v' }])
    })

    it('lists the newest version of each stage as latest versions, in stage order', async () => {
      const model = await newModel('latest', 4)
      await store.transitionStage(model, 1, 'Production', false, by())
      await store.transitionStage(model, 2, 'Staging', false, by())
      const latest = (await store.getRegisteredModel(model)).latestVersions.map((v) => [v.currentStage, v.version])
      assert.deepEqual(latest, [
        ['None', 4],
        ['Staging', 2],
        ['Production', 1],
      ])
      const asked = await store.getLatestVersions(model, ['Production', 'Staging', 'Archived'])
      assert.deepEqual(
        asked.map((v) => v.version),
        [1, 2],
      )
      assert.deepEqual(
        (await store.getLatestVersions(model, [])).map((v) => v.version),
        [4, 2, 1],
      )
    })

    it('archives the other versions in the target stage only when asked, and records each move', async () => {
      const model = await newModel('archive', 3)
      await store.transitionStage(model, 1, 'Production', false, by())
      await store.transitionStage(model, 2, 'Production', false, by())
      assert.equal((await store.getModelVersion(model, 1)).currentStage, 'Production')
      await store.transitionStage(model, 3, 'Production', true, by('bob'))
      assert.deepEqual(await Promise.all([1, 2, 3].map(async (n) => (await store.getModelVersion(model, n)).currentStage)), [
        'Archived',
        'Archived',
        'Production',
      ])
      const moves = (await store.listEvents({ model, maxResults: 100 })).filter((e) => e.type === 'model_version.stage_transitioned')
      assert.deepEqual(moves.map((e) => [e.version, e.data.to, e.actor]).slice(-3), [
        ['1', 'Archived', 'bob'],
        ['2', 'Archived', 'bob'],
        ['3', 'Production', 'bob'],
      ])
    })

    it('sets, moves and deletes aliases, and shows them on the model and its versions', async () => {
      const model = await newModel('aliases', 2)
      await store.setAlias(model, 'champion', 1, by())
      assert.equal((await store.getVersionByAlias(model, 'champion')).version, 1)
      await store.setAlias(model, 'champion', 2, by())
      await store.setAlias(model, 'challenger', 2, by())
      assert.deepEqual((await store.getModelVersion(model, 2)).aliases, ['challenger', 'champion'])
      assert.deepEqual((await store.getModelVersion(model, 1)).aliases, [])
      assert.deepEqual((await store.getRegisteredModel(model)).aliases, [
        { alias: 'challenger', version: 2 },
        { alias: 'champion', version: 2 },
      ])
      await store.deleteAlias(model, 'challenger', by())
      await store.deleteAlias(model, 'never-set', by())
      await rejectsWith(store.getVersionByAlias(model, 'challenger'), 'RESOURCE_DOES_NOT_EXIST')
      const aliasEvents = (await store.listEvents({ model, maxResults: 100 })).filter((e) => e.type.startsWith('alias.'))
      assert.deepEqual(
        aliasEvents.map((e) => [e.type, e.alias, e.version, e.data.previous_version]),
        [
          ['alias.set', 'champion', '1', undefined],
          ['alias.set', 'champion', '2', '1'],
          ['alias.set', 'challenger', '2', undefined],
          ['alias.deleted', 'challenger', '2', undefined],
        ],
      )
    })

    it('drops the aliases of a deleted version and records their deletion', async () => {
      const model = await newModel('drop', 2)
      await store.setAlias(model, 'champion', 2, by())
      await store.deleteModelVersion(model, 2, by())
      await rejectsWith(store.getVersionByAlias(model, 'champion'), 'RESOURCE_DOES_NOT_EXIST')
      assert.deepEqual((await store.getRegisteredModel(model)).aliases, [])
      const last = (await store.listEvents({ model, maxResults: 100 })).slice(-2)
      assert.deepEqual(
        last.map((e) => [e.type, e.alias, e.data.reason]),
        [
          ['alias.deleted', 'champion', 'version_deleted'],
          ['model_version.deleted', undefined, undefined],
        ],
      )
    })

    it('renames a model with its versions and aliases, and keeps its history under the new name', async () => {
      const model = await newModel('old', 1)
      await store.setAlias(model, 'champion', 1, by())
      const renamed = unique('new')
      const after = await store.renameRegisteredModel(model, renamed, by())
      assert.equal(after.name, renamed)
      assert.equal((await store.getVersionByAlias(renamed, 'champion')).name, renamed)
      await rejectsWith(store.getRegisteredModel(model), 'RESOURCE_DOES_NOT_EXIST')
      const events = await store.listEvents({ model: renamed, maxResults: 100 })
      assert.deepEqual(
        events.map((e) => e.type),
        ['registered_model.created', 'model_version.created', 'alias.set', 'registered_model.renamed'],
      )
      assert.equal(events[0]!.model, model, 'history keeps the name the model had')
      assert.equal(events[3]!.data.previous_name, model)
    })

    it('deletes a model with its versions, and keeps its events readable under its name', async () => {
      const model = await newModel('gone', 2)
      await store.deleteRegisteredModel(model, by())
      await rejectsWith(store.getModelVersion(model, 1), 'RESOURCE_DOES_NOT_EXIST')
      const types = await eventTypes(model)
      assert.deepEqual(types, ['registered_model.created', 'model_version.created', 'model_version.created', 'registered_model.deleted'])
    })

    it('sets and deletes tags on models and versions, and a missing tag is not an error', async () => {
      const model = await newModel('tags', 1)
      await store.setRegisteredModelTag(model, { key: 'team', value: 'a' }, by())
      await store.setRegisteredModelTag(model, { key: 'team', value: 'b' }, by())
      await store.setModelVersionTag(model, 1, { key: 'validated', value: 'yes' }, by())
      assert.deepEqual((await store.getRegisteredModel(model)).tags, [{ key: 'team', value: 'b' }])
      assert.deepEqual((await store.getModelVersion(model, 1)).tags, [{ key: 'validated', value: 'yes' }])
      await store.deleteRegisteredModelTag(model, 'team', by())
      await store.deleteModelVersionTag(model, 1, 'validated', by())
      await store.deleteModelVersionTag(model, 1, 'never', by())
      assert.deepEqual((await store.getRegisteredModel(model)).tags, [])
      assert.deepEqual((await store.getModelVersion(model, 1)).tags, [])
      const types = (await eventTypes(model)).filter((t) => t.includes('tag'))
      assert.deepEqual(types, [
        'registered_model.tag_set',
        'registered_model.tag_set',
        'model_version.tag_set',
        'registered_model.tag_deleted',
        'model_version.tag_deleted',
      ])
    })

    it('updates descriptions and the last-updated time', async () => {
      const model = await newModel('desc', 1)
      const m = await store.setRegisteredModelDescription(model, 'about', { time: 99_999_999, actor: 'x' })
      assert.equal(m.description, 'about')
      assert.equal(m.lastUpdatedTimestamp, 99_999_999)
      const v = await store.setModelVersionDescription(model, 1, 'v1', by())
      assert.equal(v.description, 'v1')
    })

    it('searches registered models by name and tag, orders them and pages through them', async () => {
      const prefix = unique('search')
      for (const [suffix, tier] of [
        ['b', 'gold'],
        ['a', 'silver'],
        ['c', 'gold'],
      ] as const) {
        await store.createRegisteredModel({ name: `${prefix}-${suffix}`, tags: [{ key: 'tier', value: tier }] }, by())
      }
      const like: SearchClause = { entity: 'attribute', key: 'name', comparator: 'LIKE', value: `${prefix}-%` }
      const all = await store.searchRegisteredModels(query([like]))
      assert.deepEqual(
        all.items.map((m) => m.name.slice(-1)),
        ['a', 'b', 'c'],
        'default order is name ascending',
      )
      const gold = await store.searchRegisteredModels(query([like, { entity: 'tag', key: 'tier', comparator: '=', value: 'gold' }]))
      assert.deepEqual(
        gold.items.map((m) => m.name.slice(-1)),
        ['b', 'c'],
      )
      const newest = await store.searchRegisteredModels(query([like], { orderBy: [{ entity: 'attribute', key: 'last_updated_timestamp', ascending: false }] }))
      assert.deepEqual(
        newest.items.map((m) => m.name.slice(-1)),
        ['c', 'a', 'b'],
      )
      const first = await store.searchRegisteredModels(query([like], { maxResults: 2 }))
      assert.equal(first.items.length, 2)
      const second = await store.searchRegisteredModels(query([like], { maxResults: 2, pageToken: first.nextPageToken }))
      assert.deepEqual(
        second.items.map((m) => m.name.slice(-1)),
        ['c'],
      )
      assert.equal(second.nextPageToken, undefined)
    })

    it('hides prompts from model searches unless prompts are asked for', async () => {
      const prompt = unique('prompt')
      await store.createRegisteredModel({ name: prompt, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] }, by())
      assert.equal((await store.searchRegisteredModels(query([nameIs(prompt)]))).items.length, 0)
      assert.equal((await store.searchRegisteredModels(query([nameIs(prompt)], { prompts: 'only' }))).items.length, 1)
    })

    it('searches model versions by name, run id, version number and tag, in MLflow order', async () => {
      const model = await newModel('versions')
      for (const runId of ['r1', 'r2', 'r3']) await store.createModelVersion(version(model, { runId, tags: [{ key: 'run', value: runId }] }), by())
      const versions = (clauses: SearchClause[], extra: Partial<RegistrySearchQuery> = {}) =>
        store.searchModelVersions(query([nameIs(model), ...clauses], extra)).then((p) => p.items.map((v) => v.version))
      assert.deepEqual(await versions([]), [3, 2, 1], 'default order is name ascending, version descending')
      assert.deepEqual(await versions([{ entity: 'attribute', key: 'run_id', comparator: 'IN', value: ['r1', 'r3'] }]), [3, 1])
      assert.deepEqual(await versions([{ entity: 'attribute', key: 'version_number', comparator: '>=', value: 2 }]), [3, 2])
      assert.deepEqual(await versions([{ entity: 'tag', key: 'run', comparator: '=', value: 'r2' }]), [2])
      assert.deepEqual(await versions([], { orderBy: [{ entity: 'attribute', key: 'version_number', ascending: true }] }), [1, 2, 3])
      const page = await store.searchModelVersions(query([nameIs(model)], { maxResults: 2 }))
      assert.ok(page.nextPageToken)
    })

    it('records every change with its time and actor, in order, and pages after an id', async () => {
      const model = unique('log')
      await store.createRegisteredModel({ name: model, tags: [] }, { time: 5, actor: 'alice' })
      await store.createModelVersion(version(model), { time: 6, actor: 'client:mlflow-python-client/3.1.0' })
      await store.setAlias(model, 'champion', 1, { time: 7, actor: 'bob' })
      const events = await store.listEvents({ model, maxResults: 100 })
      assert.deepEqual(
        events.map((e) => [e.type, e.time, e.actor]),
        [
          ['registered_model.created', 5, 'alice'],
          ['model_version.created', 6, 'client:mlflow-python-client/3.1.0'],
          ['alias.set', 7, 'bob'],
        ],
      )
      assert.equal(events[1]!.data.storage_location, 'mlflow-artifacts:/0/r/artifacts/model')
      const rest = await store.listEvents({ model, afterId: events[0]!.eventId, maxResults: 1 })
      assert.deepEqual(
        rest.map((e) => e.type),
        ['model_version.created'],
      )
    })

    it('records nothing for a refused write', async () => {
      const model = await newModel('refused', 1)
      const before = await eventTypes(model)
      await rejectsWith(store.setAlias(model, 'champion', 7, by()), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.createRegisteredModel({ name: model, tags: [] }, by()), 'RESOURCE_ALREADY_EXISTS')
      assert.deepEqual(await eventTypes(model), before)
    })

    it('queues one delivery per matching webhook with each event, and follows a model through a rename', async () => {
      const model = await newModel('hooked')
      const hook = (events: string[], modelName?: string) =>
        store.createWebhook({ webhookId: unique('wh'), url: 'http://127.0.0.1:9/', events, modelName, secret: 'secret-123', time: by().time })
      const any = await hook(['*'], model)
      const aliases = await hook(['alias.set'], model)
      const versions = await hook(['model_version.*'], model)
      const elsewhere = await hook(['*'], 'some-other-model')
      await store.createModelVersion(version(model), by())
      await store.setAlias(model, 'champion', 1, by())
      const renamed = unique('hooked-renamed')
      await store.renameRegisteredModel(model, renamed, by())
      await store.setAlias(renamed, 'champion', 1, by('again'))
      await store.setAlias(renamed, 'challenger', 1, by())
      const eventsOf = async (id: string) => (await store.listDeliveries(id, 100)).map((d) => d.event.type).reverse()
      assert.deepEqual(await eventsOf(any.webhookId), ['model_version.created', 'alias.set', 'registered_model.renamed', 'alias.set'])
      assert.deepEqual(await eventsOf(aliases.webhookId), ['alias.set', 'alias.set'])
      assert.deepEqual(await eventsOf(versions.webhookId), ['model_version.created'])
      assert.deepEqual(await eventsOf(elsewhere.webhookId), [])
      assert.equal((await store.listWebhooks()).find((w) => w.webhookId === any.webhookId)?.modelName, renamed)
    })

    it('leases due deliveries, records attempts and outcomes, and reports when the next one is due', async () => {
      const model = await newModel('queue')
      const hook = await store.createWebhook({
        webhookId: unique('wh'),
        url: 'http://127.0.0.1:9/',
        events: ['model_version.created'],
        modelName: model,
        secret: 's3cret-xx',
        time: 1,
      })
      await store.createModelVersion(version(model), { time: 50_000_000, actor: 'a' })
      const [due, ...rest] = (await store.claimDueDeliveries(50_000_000, 1000, 100)).filter(ofHook(hook.webhookId))
      assert.ok(due)
      assert.deepEqual(rest, [])
      assert.equal(due.secret, 's3cret-xx')
      assert.equal(due.attemptsMade, 0)
      assert.equal(due.event.type, 'model_version.created')
      assert.deepEqual((await store.claimDueDeliveries(50_000_000, 1000, 100)).filter(ofHook(hook.webhookId)), [], 'a leased delivery is not handed out twice')
      await store.recordAttempt(
        due.deliveryId,
        { attempt: 1, time: 50_000_001, statusCode: 500, latencyMs: 3 },
        { status: 'pending', nextAttemptTime: 50_000_100 },
      )
      const [again] = (await store.claimDueDeliveries(50_000_100, 1000, 100)).filter(ofHook(hook.webhookId))
      assert.equal(again?.attemptsMade, 1)
      await store.recordAttempt(
        due.deliveryId,
        { attempt: 2, time: 50_000_101, error: 'ECONNREFUSED', latencyMs: 1 },
        { status: 'pending', nextAttemptTime: 50_000_300 },
      )
      assert.ok(((await store.nextDeliveryTime()) ?? Infinity) <= 50_000_300)
      await store.recordAttempt(due.deliveryId, { attempt: 3, time: 50_000_301, statusCode: 204, latencyMs: 2 }, { status: 'succeeded' })
      const [delivery] = await store.listDeliveries(hook.webhookId, 10)
      assert.equal(delivery?.status, 'succeeded')
      assert.deepEqual(
        delivery?.attempts.map((a) => [a.attempt, a.statusCode, a.error]),
        [
          [1, 500, undefined],
          [2, undefined, 'ECONNREFUSED'],
          [3, 204, undefined],
        ],
      )
      assert.equal(delivery?.nextAttemptTime, undefined)
    })

    it('queues direct deliveries (alerts) beside webhook deliveries: leased, retried and listed by subject', async () => {
      const subject = unique('production/model')
      const deliveryId = unique('alert')
      const body = JSON.stringify({ delivery_id: deliveryId, event: 'monitor.alert' })
      const input = { deliveryId, url: 'http://127.0.0.1:9/alerts', secretEnv: 'WHARF_ALERT_SECRET', eventType: 'monitor.alert', body, subject }
      await store.enqueueDirectDelivery({ ...input, time: 60_000_000 })
      const mine = (due: DueDelivery[]) => due.filter((d) => d.deliveryId === deliveryId)
      assert.deepEqual(mine(await store.claimDueDeliveries(59_999_999, 1000, 100)), [], 'not due before its time')
      const [due, ...rest] = mine(await store.claimDueDeliveries(60_000_000, 1000, 100))
      assert.deepEqual(rest, [])
      assert.deepEqual(due, { deliveryId, url: input.url, attemptsMade: 0, secretEnv: 'WHARF_ALERT_SECRET', eventType: 'monitor.alert', body })
      assert.deepEqual(mine(await store.claimDueDeliveries(60_000_500, 1000, 100)), [], 'a leased delivery is not handed out twice')
      // A lease that runs out (its sender died) hands the delivery out again, with no attempt recorded.
      assert.equal(mine(await store.claimDueDeliveries(60_001_000, 1000, 100))[0]?.attemptsMade, 0)
      await store.recordAttempt(
        deliveryId,
        { attempt: 1, time: 60_001_001, error: 'connection failed', latencyMs: 1 },
        { status: 'pending', nextAttemptTime: 60_002_000 },
      )
      assert.equal(mine(await store.claimDueDeliveries(60_002_000, 1000, 100))[0]?.attemptsMade, 1)
      await store.recordAttempt(deliveryId, { attempt: 2, time: 60_002_001, statusCode: 204, latencyMs: 2 }, { status: 'succeeded' })
      assert.deepEqual(mine(await store.claimDueDeliveries(70_000_000, 1000, 100)), [])
      await store.enqueueDirectDelivery({ ...input, deliveryId: `${deliveryId}-2`, time: 60_003_000 })
      await store.enqueueDirectDelivery({ ...input, deliveryId: `${deliveryId}-other`, subject: `${subject}-other`, time: 60_003_000 })
      const listed = await store.listDirectDeliveries(subject, 10)
      assert.deepEqual(
        listed.map((d) => [d.deliveryId, d.status, d.subject, d.eventType]),
        [
          [`${deliveryId}-2`, 'pending', subject, 'monitor.alert'],
          [deliveryId, 'succeeded', subject, 'monitor.alert'],
        ],
      )
      assert.equal(listed[0]?.nextAttemptTime, 60_003_000)
      assert.equal(listed[1]?.body, body)
      assert.deepEqual(
        listed[1]?.attempts.map((a) => [a.attempt, a.statusCode, a.error]),
        [
          [1, undefined, 'connection failed'],
          [2, 204, undefined],
        ],
      )
      assert.deepEqual(
        (await store.listDirectDeliveries(subject, 1)).map((d) => d.deliveryId),
        [`${deliveryId}-2`],
      )
    })

    it('deletes a webhook with its deliveries, and answers RESOURCE_DOES_NOT_EXIST for an unknown one', async () => {
      const hook = await store.createWebhook({ webhookId: unique('wh'), url: 'http://127.0.0.1:9/', events: ['*'], secret: 'secret-123', time: 1 })
      assert.ok((await store.listWebhooks()).some((w) => w.webhookId === hook.webhookId))
      await store.deleteWebhook(hook.webhookId)
      assert.ok(!(await store.listWebhooks()).some((w) => w.webhookId === hook.webhookId))
      await rejectsWith(store.listDeliveries(hook.webhookId, 10), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.deleteWebhook(hook.webhookId), 'RESOURCE_DOES_NOT_EXIST')
    })
  })
}
