import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import type { Metric } from '../tracking/entities.js'
import { toWireMetric } from '../tracking/wire.js'
import type { SearchClause } from '../tracking/search/filter-ast.js'
import type { RunQuery, TrackingStore } from './tracking-store.js'

const runId = () => randomUUID().replaceAll('-', '')

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof MlflowError && err.code === code)
}

const metric = (key: string, value: number, step = 0, timestamp = 1000): Metric => ({ key, value, step, timestamp })

/**
 * The behaviour every TrackingStore must show, run against each backend (Hono's *.case.test.ts
 * pattern): `sqlite/tracking-store.test.ts` runs it in memory; other backends run the same suite.
 */
export function describeTrackingStore(name: string, makeStore: () => Promise<TrackingStore>): void {
  describe(`TrackingStore contract: ${name}`, () => {
    let store: TrackingStore
    before(async () => {
      store = await makeStore()
    })
    after(async () => {
      await store.close()
    })

    const newExperiment = async (prefix = 'exp') => (await store.createExperiment({ name: `${prefix}-${randomUUID()}`, tags: [], time: 1000 })).experimentId
    const newRun = async (experimentId: string, overrides: { startTime?: number; runName?: string } = {}) =>
      (
        await store.createRun({
          runId: runId(),
          experimentId,
          runName: overrides.runName ?? 'r',
          userId: 'u',
          startTime: overrides.startTime ?? 1000,
          tags: [],
        })
      ).info.runId
    const search = (experimentId: string, clauses: SearchClause[], extra: Partial<RunQuery> = {}) =>
      store.searchRuns({ experimentIds: [experimentId], clauses, orderBy: [], maxResults: 1000, viewType: 'ACTIVE_ONLY', ...extra })

    it('has the Default experiment with id 0', async () => {
      const e = await store.getExperiment('0')
      assert.equal(e.name, 'Default')
      assert.equal(e.artifactLocation, 'mlflow-artifacts:/0')
    })

    it('creates an experiment with a derived artifact location and tags', async () => {
      const created = await store.createExperiment({ name: 'contract-a', tags: [{ key: 't', value: 'v' }], time: 42 })
      const e = await store.getExperiment(created.experimentId)
      assert.equal(e.name, 'contract-a')
      assert.equal(e.artifactLocation, `mlflow-artifacts:/${created.experimentId}`)
      assert.deepEqual(e.tags, [{ key: 't', value: 'v' }])
      assert.equal(e.creationTime, 42)
    })

    it('returns RESOURCE_ALREADY_EXISTS for a taken experiment name, even a deleted one', async () => {
      const id = (await store.createExperiment({ name: 'contract-dup', tags: [], time: 1 })).experimentId
      await rejectsWith(store.createExperiment({ name: 'contract-dup', tags: [], time: 1 }), 'RESOURCE_ALREADY_EXISTS')
      await store.setExperimentLifecycle(id, 'deleted', 2)
      await rejectsWith(store.createExperiment({ name: 'contract-dup', tags: [], time: 1 }), 'RESOURCE_ALREADY_EXISTS')
    })

    it('returns RESOURCE_DOES_NOT_EXIST for an unknown experiment or run', async () => {
      await rejectsWith(store.getExperiment('987654'), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.getExperiment('not-a-number'), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.getExperimentByName('no-such-experiment'), 'RESOURCE_DOES_NOT_EXIST')
      await rejectsWith(store.getRun(runId()), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('deletes an experiment with its runs and restores both', async () => {
      const exp = await newExperiment()
      const run = await newRun(exp)
      await store.setExperimentLifecycle(exp, 'deleted', 5)
      assert.equal((await store.getExperiment(exp)).lifecycleStage, 'deleted')
      assert.equal((await store.getRun(run)).info.lifecycleStage, 'deleted')
      await rejectsWith(store.createRun({ runId: runId(), experimentId: exp, runName: 'x', userId: 'u', startTime: 1, tags: [] }), 'INVALID_PARAMETER_VALUE')
      await store.setExperimentLifecycle(exp, 'active', 6)
      assert.equal((await store.getRun(run)).info.lifecycleStage, 'active')
    })

    it('renames an experiment and refuses a name already taken', async () => {
      const a = await newExperiment()
      const b = await newExperiment()
      await store.renameExperiment(a, 'contract-renamed', 9)
      assert.equal((await store.getExperiment(a)).name, 'contract-renamed')
      await rejectsWith(store.renameExperiment(b, 'contract-renamed', 9), 'RESOURCE_ALREADY_EXISTS')
    })

    it('writes a batch of metrics, params and tags and reads the latest metric per key', async () => {
      const run = await newRun(await newExperiment())
      await store.logBatch(run, {
        metrics: [metric('loss', 3, 0, 10), metric('loss', 1, 2, 5), metric('loss', 2, 1, 20), metric('nan', Number.NaN), metric('inf', Infinity)],
        params: [{ key: 'lr', value: '0.1' }],
        tags: [
          { key: 'team', value: 'a' },
          { key: 'team', value: 'b' },
        ],
      })
      const got = await store.getRun(run)
      const byKey = new Map(got.data.metrics.map((m) => [m.key, m]))
      assert.equal(byKey.get('loss')?.value, 1, 'the latest is the greatest step')
      assert.ok(Number.isNaN(byKey.get('nan')?.value))
      assert.equal(byKey.get('inf')?.value, Infinity)
      assert.deepEqual(got.data.params, [{ key: 'lr', value: '0.1' }])
      assert.deepEqual(
        got.data.tags.find((t) => t.key === 'team'),
        { key: 'team', value: 'b' },
      )
    })

    it('keeps every metric value in the history, repeated steps included, in step order', async () => {
      const run = await newRun(await newExperiment())
      await store.logBatch(run, { metrics: [metric('m', 1, 1), metric('m', 2, 1), metric('m', 0, 0)], params: [], tags: [] })
      const history = await store.getMetricHistory(run, 'm')
      assert.deepEqual(
        history.items.map((m) => [m.step, m.value]),
        [
          [0, 0],
          [1, 1],
          [1, 2],
        ],
      )
      const page1 = await store.getMetricHistory(run, 'm', 2)
      assert.equal(page1.items.length, 2)
      const page2 = await store.getMetricHistory(run, 'm', 2, page1.nextPageToken)
      assert.deepEqual(
        page2.items.map((m) => m.value),
        [2],
      )
      assert.equal(page2.nextPageToken, undefined)
    })

    it('writes a history page as JSON equal to its wire metrics, in order, with every value kept', async () => {
      const run = await newRun(await newExperiment())
      const tricky = [0.1 + 0.2, 1 / 3, 5, -0, 1e-320, 5e-324, 1.7976931348623157e308, 1e21, 123456789.12345679, -1.5e-7, 2 ** 53 + 2, NaN, Infinity, -Infinity]
      // Random doubles over many exponents: the database's number text must read back the same double.
      let seed = 7
      const random = () => {
        seed = (seed * 48271) % 2147483647
        return (seed / 2147483647) * 2 - 1
      }
      const values = [...tricky, ...Array.from({ length: 300 }, (_, i) => random() * 10 ** ((i % 41) - 20))]
      const key = 'loss "q" \\ é'
      // Logged out of order, with ties on step and on step and timestamp (then logging order decides).
      const metrics: Metric[] = values.map((value, i) => ({ key, value, step: (i * 37) % 50, timestamp: 1000 + (i % 3) }))
      metrics.push(
        { key, value: 1, step: 2 ** 40, timestamp: 2 ** 42, datasetName: 'train "set" \n\u0001', datasetDigest: 'd1', modelId: 'm-1' },
        { key, value: 2, step: 3, timestamp: 1000, modelId: 'm-2' },
        { key, value: 3, step: 3, timestamp: 1000, datasetName: 'ünïcode ✓', datasetDigest: 'd2' },
      )
      for (let i = 0; i < metrics.length; i += 100) await store.logBatch(run, { metrics: metrics.slice(i, i + 100), params: [], tags: [] })
      await store.logBatch(run, { metrics: [{ key: 'other', value: 9, step: 3, timestamp: 1000 }], params: [], tags: [] })

      const whole = await store.getMetricHistory(run, key)
      const wire = whole.items.map((m) => toWireMetric(m))
      const json = await store.getMetricHistoryJson(run, key)
      assert.equal(json.count, metrics.length)
      assert.equal(json.nextPageToken, undefined)
      assert.deepEqual(JSON.parse(json.json), wire)
      // Paged: the same pages, the same tokens, the last one without a token.
      let token: string | undefined
      const pages: unknown[] = []
      do {
        const rows = await store.getMetricHistory(run, key, 64, token)
        const text = await store.getMetricHistoryJson(run, key, 64, token)
        assert.deepEqual(
          JSON.parse(text.json),
          rows.items.map((m) => toWireMetric(m)),
        )
        assert.equal(text.count, rows.items.length)
        assert.equal(text.nextPageToken, rows.nextPageToken)
        pages.push(...(JSON.parse(text.json) as unknown[]))
        token = text.nextPageToken
      } while (token !== undefined)
      assert.deepEqual(pages, wire)
      assert.deepEqual(await store.getMetricHistoryJson(run, 'never-logged'), { json: '[]', count: 0, nextPageToken: undefined })
      await rejectsWith(store.getMetricHistoryJson(runId(), key), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('refuses a changed param value and writes nothing of that batch', async () => {
      const run = await newRun(await newExperiment())
      await store.logBatch(run, { metrics: [], params: [{ key: 'p', value: '1' }], tags: [] })
      await store.logBatch(run, { metrics: [], params: [{ key: 'p', value: '1' }], tags: [] })
      await rejectsWith(
        store.logBatch(run, { metrics: [metric('side', 1)], params: [{ key: 'p', value: '2' }], tags: [{ key: 'side', value: 'x' }] }),
        'INVALID_PARAMETER_VALUE',
      )
      const got = await store.getRun(run)
      assert.deepEqual(got.data.params, [{ key: 'p', value: '1' }])
      assert.equal(got.data.metrics.length, 0)
      assert.equal(
        got.data.tags.find((t) => t.key === 'side'),
        undefined,
      )
    })

    it('refuses writes to a deleted run and allows them after restore', async () => {
      const run = await newRun(await newExperiment())
      await store.setRunLifecycle(run, 'deleted', 1)
      await rejectsWith(store.logBatch(run, { metrics: [metric('m', 1)], params: [], tags: [] }), 'INVALID_PARAMETER_VALUE')
      await store.setRunLifecycle(run, 'active', 2)
      await store.logBatch(run, { metrics: [metric('m', 1)], params: [], tags: [] })
    })

    it('updates status, end time and name, mirroring the name into mlflow.runName', async () => {
      const run = await newRun(await newExperiment())
      const info = await store.updateRun(run, { status: 'FINISHED', endTime: 2000, runName: 'renamed' })
      assert.equal(info.status, 'FINISHED')
      assert.equal(info.endTime, 2000)
      const got = await store.getRun(run)
      assert.equal(got.info.runName, 'renamed')
      assert.deepEqual(
        got.data.tags.find((t) => t.key === 'mlflow.runName'),
        { key: 'mlflow.runName', value: 'renamed' },
      )
    })

    it('deletes a tag and answers RESOURCE_DOES_NOT_EXIST for a missing one', async () => {
      const run = await newRun(await newExperiment())
      await store.logBatch(run, { metrics: [], params: [], tags: [{ key: 'k', value: 'v' }] })
      await store.deleteRunTag(run, 'k')
      await rejectsWith(store.deleteRunTag(run, 'k'), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('searches runs by metric, param, tag and attribute, with LIKE case-sensitive and ILIKE not', async () => {
      const exp = await newExperiment()
      const a = await newRun(exp, { runName: 'alpha' })
      const b = await newRun(exp, { runName: 'Beta' })
      await store.logBatch(a, { metrics: [metric('rmse', 0.5)], params: [{ key: 'model', value: 'lr' }], tags: [{ key: 'team name', value: 'ml-core' }] })
      await store.logBatch(b, { metrics: [metric('rmse', 1.5)], params: [{ key: 'model', value: 'gbdt' }], tags: [{ key: 'team name', value: 'ML-ops' }] })
      const ids = async (clauses: SearchClause[]) => (await search(exp, clauses)).items.map((r) => r.info.runId).sort()
      assert.deepEqual(await ids([{ entity: 'metric', key: 'rmse', comparator: '<', value: 1 }]), [a])
      assert.deepEqual(await ids([{ entity: 'param', key: 'model', comparator: '!=', value: 'lr' }]), [b])
      assert.deepEqual(await ids([{ entity: 'tag', key: 'team name', comparator: 'LIKE', value: 'ml%' }]), [a])
      assert.deepEqual(await ids([{ entity: 'tag', key: 'team name', comparator: 'ILIKE', value: 'ml%' }]), [a, b].sort())
      assert.deepEqual(await ids([{ entity: 'attribute', key: 'run_name', comparator: '=', value: 'Beta' }]), [b])
      assert.deepEqual(await ids([{ entity: 'attribute', key: 'run_id', comparator: 'IN', value: [a, 'zzz'] }]), [a])
      assert.deepEqual(await ids([{ entity: 'attribute', key: 'run_id', comparator: 'NOT IN', value: [a] }]), [b])
      assert.deepEqual(await ids([{ entity: 'metric', key: 'missing', comparator: '>', value: 0 }]), [])
    })

    it('orders runs by a metric with missing values last, and pages through every run exactly once', async () => {
      const exp = await newExperiment()
      const runs: string[] = []
      for (let i = 0; i < 7; i++) {
        const r = await newRun(exp, { startTime: 1000 + i })
        runs.push(r)
        if (i < 6) await store.logBatch(r, { metrics: [metric('score', i % 3)], params: [], tags: [] })
      }
      const ordered = await search(exp, [], { orderBy: [{ entity: 'metric', key: 'score', ascending: false }] })
      const scores = ordered.items.map((r) => r.data.metrics.find((m) => m.key === 'score')?.value)
      assert.deepEqual(scores, [2, 2, 1, 1, 0, 0, undefined])
      const seen: string[] = []
      let token: string | undefined
      do {
        const page = await search(exp, [], { maxResults: 3, pageToken: token })
        seen.push(...page.items.map((r) => r.info.runId))
        token = page.nextPageToken
      } while (token)
      assert.deepEqual([...seen].sort(), [...runs].sort())
      assert.equal(new Set(seen).size, runs.length)
      assert.deepEqual(seen, [...runs].reverse(), 'default order is start_time DESC')
    })

    it('pages a metric-ordered search (NaN, ties, missing keys, a filter) in the same order as one page, across the runs lacking the key', async () => {
      const exp = await newExperiment()
      const values = [3, Number.NaN, 1, 3, undefined, 2, undefined, 1, Number.NaN, undefined]
      for (const [i, v] of values.entries()) {
        const r = await newRun(exp, { startTime: 1000 + (i % 4) })
        const metrics = [metric('keep', i === 9 ? 0 : 1), ...(v === undefined ? [] : [metric('score', v)])]
        await store.logBatch(r, { metrics, params: [{ key: 'p', value: String(i % 3) }], tags: [] })
      }
      const clauses: SearchClause[] = [{ entity: 'metric', key: 'keep', comparator: '>', value: 0 }]
      for (const ascending of [true, false]) {
        const orderBy: RunQuery['orderBy'] = [
          { entity: 'metric', key: 'score', ascending },
          { entity: 'param', key: 'p', ascending: true },
        ]
        const whole = (await search(exp, clauses, { orderBy })).items.map((r) => r.info.runId)
        assert.equal(whole.length, 9)
        const scores = (await search(exp, clauses, { orderBy })).items.map((r) => r.data.metrics.find((m) => m.key === 'score')?.value)
        // Missing keys last in both directions; NaN after every number ascending, first descending (MLflow's SQL store).
        assert.deepEqual(
          scores,
          ascending ? [1, 1, 2, 3, 3, Number.NaN, Number.NaN, undefined, undefined] : [Number.NaN, Number.NaN, 3, 3, 2, 1, 1, undefined, undefined],
        )
        for (const maxResults of [1, 2, 4, 7]) {
          const seen: string[] = []
          let token: string | undefined
          do {
            const page = await search(exp, clauses, { orderBy, maxResults, pageToken: token })
            seen.push(...page.items.map((r) => r.info.runId))
            token = page.nextPageToken
          } while (token)
          assert.deepEqual(seen, whole, `pages of ${maxResults}, ascending=${ascending}`)
        }
        const past = await search(exp, clauses, { orderBy, maxResults: 2, pageToken: Buffer.from(JSON.stringify({ offset: 8 })).toString('base64url') })
        assert.deepEqual(
          past.items.map((r) => r.info.runId),
          whole.slice(8),
        )
      }
    })

    it('filters runs by view type', async () => {
      const exp = await newExperiment()
      const live = await newRun(exp)
      const gone = await newRun(exp)
      await store.setRunLifecycle(gone, 'deleted', 1)
      const view = async (viewType: RunQuery['viewType']) => (await search(exp, [], { viewType })).items.map((r) => r.info.runId).sort()
      assert.deepEqual(await view('ACTIVE_ONLY'), [live])
      assert.deepEqual(await view('DELETED_ONLY'), [gone])
      assert.deepEqual(await view('ALL'), [live, gone].sort())
    })

    it('refuses a malformed page token', async () => {
      await rejectsWith(search('0', [], { pageToken: 'not-a-token' }), 'INVALID_PARAMETER_VALUE')
    })

    it('searches experiments by name and tag with pagination', async () => {
      const prefix = `srch-${randomUUID().slice(0, 8)}`
      for (let i = 0; i < 5; i++) {
        await store.createExperiment({ name: `${prefix}-${i}`, tags: [{ key: 'i', value: String(i) }], time: i })
      }
      const like: SearchClause = { entity: 'attribute', key: 'name', comparator: 'LIKE', value: `${prefix}%` }
      const names: string[] = []
      let token: string | undefined
      do {
        const page = await store.searchExperiments({
          clauses: [like],
          orderBy: [{ entity: 'attribute', key: 'name', ascending: true }],
          maxResults: 2,
          pageToken: token,
          viewType: 'ACTIVE_ONLY',
        })
        names.push(...page.items.map((e) => e.name))
        token = page.nextPageToken
      } while (token)
      assert.deepEqual(
        names,
        [0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`),
      )
      const tagged = await store.searchExperiments({
        clauses: [like, { entity: 'tag', key: 'i', comparator: '=', value: '3' }],
        orderBy: [],
        maxResults: 10,
        viewType: 'ACTIVE_ONLY',
      })
      assert.deepEqual(
        tagged.items.map((e) => e.name),
        [`${prefix}-3`],
      )
    })

    it('records dataset inputs once per run with their tags', async () => {
      const run = await newRun(await newExperiment())
      const input = { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'd', digest: 'abc', sourceType: 'local', source: '{}' } }
      await store.logInputs(run, [input, input], [])
      const got = await store.getRun(run)
      assert.equal(got.inputs.datasetInputs.length, 1)
      assert.deepEqual(got.inputs.datasetInputs[0], { tags: input.tags, dataset: { ...input.dataset, schema: undefined, profile: undefined } })
    })

    it('creates, tags, finalizes and searches logged models', async () => {
      const exp = await newExperiment()
      const id = `m-${randomUUID().replaceAll('-', '')}`
      const created = await store.createLoggedModel({ modelId: id, experimentId: exp, name: 'model', params: [{ key: 'a', value: '1' }], tags: [], time: 7 })
      assert.equal(created.status, 'LOGGED_MODEL_PENDING')
      assert.equal(created.artifactUri, `mlflow-artifacts:/${exp}/models/${id}/artifacts`)
      await store.setLoggedModelTags(id, [{ key: 't', value: 'v' }], 8)
      const ready = await store.finalizeLoggedModel(id, 'LOGGED_MODEL_READY', 9)
      assert.equal(ready.status, 'LOGGED_MODEL_READY')
      assert.deepEqual(ready.tags, [{ key: 't', value: 'v' }])
      const found = await store.searchLoggedModels({
        experimentIds: [exp],
        clauses: [{ entity: 'attribute', key: 'name', comparator: '=', value: 'model' }],
        orderBy: [],
        maxResults: 10,
        viewType: 'ACTIVE_ONLY',
      })
      assert.deepEqual(
        found.items.map((m) => m.modelId),
        [id],
      )
      await store.deleteLoggedModel(id)
      await rejectsWith(store.getLoggedModel(id), 'RESOURCE_DOES_NOT_EXIST')
    })
  })
}
