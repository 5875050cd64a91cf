import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TrackingStore } from '../store/tracking-store.js'
import { SqliteTrackingStore } from '../store/sqlite/tracking-store.js'
import { hasTrackingViews } from '../store/tracking-views.js'
import { decimateMinMax } from '../store/min-max-decimation.js'
import { listRunKeys, sampleMetricHistory, searchRunTable } from './run-views.js'
import { parseFilter, parseOrderBy } from './search/filter-parser.js'
import { runGrammar } from './search/grammars.js'

/** The same store seen without its TrackingViews (only the primitives the generic path calls). */
function withoutViews(store: TrackingStore): TrackingStore {
  const primitives: Pick<TrackingStore, 'searchRuns' | 'getMetricHistory'> = {
    searchRuns: (query) => store.searchRuns(query),
    getMetricHistory: (runId, key, maxResults, pageToken) => store.getMetricHistory(runId, key, maxResults, pageToken),
  }
  return primitives as TrackingStore
}

async function seed() {
  const store = new SqliteTrackingStore(':memory:', { durability: 'normal' })
  const experiment = await store.createExperiment({ name: 'views', tags: [], time: 1 })
  const runIds: string[] = []
  for (let i = 0; i < 30; i++) {
    const run = await store.createRun({
      runId: `run${String(i).padStart(2, '0')}`,
      experimentId: experiment.experimentId,
      runName: `r${i}`,
      userId: 'ana',
      startTime: 1000 + i,
      tags: [{ key: 'team', value: i % 2 ? 'odd' : 'even' }],
    })
    runIds.push(run.info.runId)
    await store.logBatch(run.info.runId, {
      metrics: [
        { key: 'loss', value: 1 / (i + 1), timestamp: 1, step: 0 },
        { key: `only_${i % 3}`, value: i, timestamp: 1, step: 0 },
        ...(i === 7 ? [{ key: 'loss', value: Number.NaN, timestamp: 2, step: 1 }] : []),
      ],
      params: [
        { key: 'alpha', value: String(i / 10) },
        { key: 'seed', value: String(i) },
      ],
      tags: [],
    })
  }
  return { store, experimentId: experiment.experimentId, runIds }
}

describe('run views for the web UI', () => {
  it('reads only the chosen columns, in the order and pages searchRuns gives, on SQLite and on any store', async () => {
    const { store, experimentId } = await seed()
    assert.ok(hasTrackingViews(store))
    const query = {
      experimentIds: [experimentId],
      clauses: parseFilter("params.alpha != '0.5' and tags.team = 'odd'", runGrammar),
      orderBy: parseOrderBy(['metrics.loss ASC'], runGrammar),
      maxResults: 4,
      viewType: 'ACTIVE_ONLY' as const,
    }
    const columns = { metrics: ['loss', 'only_1'], params: ['alpha'], tags: [] }
    const fast = await searchRunTable(store, query, columns)
    const generic = await searchRunTable(withoutViews(store), query, columns)
    assert.deepEqual(fast, generic)
    assert.equal(fast.items.length, 4)
    assert.deepEqual(
      fast.items.map((r) => r.info.runName),
      ['r29', 'r27', 'r25', 'r23'],
    )
    assert.deepEqual(fast.items[0]!.params, { alpha: '2.9' })
    assert.deepEqual(Object.keys(fast.items[0]!.metrics).sort(), ['loss'], 'only_1 is absent from r29, and no other key is loaded')
    assert.deepEqual(fast.items[3]!.metrics, { loss: 1 / 24 })
    const next = await searchRunTable(store, { ...query, pageToken: fast.nextPageToken }, columns)
    assert.deepEqual(
      next.items.map((r) => r.info.runName),
      ['r21', 'r19', 'r17', 'r15'],
    )
    const nan = await searchRunTable(store, { ...query, clauses: parseFilter("attributes.run_name = 'r7'", runGrammar) }, columns)
    assert.ok(Number.isNaN(nan.items[0]!.metrics.loss), 'the latest value is NaN')
  })

  it('lists every key the runs of an experiment use, sorted', async () => {
    const { store, experimentId } = await seed()
    const expected = { metrics: ['loss', 'only_0', 'only_1', 'only_2'], params: ['alpha', 'seed'], tags: ['team'] }
    assert.deepEqual(await listRunKeys(store, [experimentId], 'ACTIVE_ONLY'), expected)
    assert.deepEqual(await listRunKeys(withoutViews(store), [experimentId], 'ACTIVE_ONLY'), expected)
    assert.deepEqual(await listRunKeys(store, ['999'], 'ACTIVE_ONLY'), { metrics: [], params: [], tags: [] })
  })

  it('returns a short history whole and a long one thinned, keeping every spike and dip', async () => {
    const { store, runIds } = await seed()
    const runId = runIds[0]!
    const n = 20_000
    const metrics = Array.from({ length: n }, (_, step) => ({ key: 'curve', value: Math.sin(step / 100), timestamp: step, step }))
    metrics[12_345] = { key: 'curve', value: 40, timestamp: 12_345, step: 12_345 }
    metrics[3_333] = { key: 'curve', value: -25, timestamp: 3_333, step: 3_333 }
    metrics[5_000] = { key: 'curve', value: Number.NaN, timestamp: 5_000, step: 5_000 }
    for (let i = 0; i < n; i += 1000) await store.logBatch(runId, { metrics: metrics.slice(i, i + 1000), params: [], tags: [] })

    for (const s of [store, withoutViews(store)]) {
      const whole = await sampleMetricHistory(s, { runId, key: 'curve', minStep: 12_300, maxStep: 12_399, maxPoints: 500 })
      assert.equal(whole.isSampled, false)
      assert.deepEqual(
        whole.steps,
        Array.from({ length: 100 }, (_, i) => 12_300 + i),
      )
      assert.equal(whole.values[45], 40)
      assert.equal(whole.firstStep, 0)
      assert.equal(whole.lastStep, n - 1)

      const thin = await sampleMetricHistory(s, { runId, key: 'curve', maxPoints: 1000 })
      assert.equal(thin.isSampled, true)
      assert.equal(thin.totalPoints, n - 1, 'the NaN is not counted')
      assert.ok(thin.steps.length <= 1000 && thin.steps.length >= 900, String(thin.steps.length))
      assert.equal(Math.max(...thin.values), 40)
      assert.equal(Math.min(...thin.values), -25)
      assert.ok(
        thin.values.every((v) => !Number.isNaN(v)),
        'NaN is left out',
      )
      for (let i = 1; i < thin.steps.length; i++) assert.ok(thin.steps[i]! >= thin.steps[i - 1]!, 'steps ascend')
      // The spike sits in the bucket of its own step: within one bucket (20 steps) of where it was.
      const spikeAt = thin.steps[thin.values.indexOf(40)]!
      assert.ok(Math.abs(spikeAt - 12_345) < 20, String(spikeAt))
    }
    await assert.rejects(sampleMetricHistory(store, { runId: 'nope', key: 'curve', maxPoints: 100 }), { code: 'RESOURCE_DOES_NOT_EXIST' })
    const none = await sampleMetricHistory(store, { runId, key: 'never-logged', maxPoints: 100 })
    assert.deepEqual([none.steps, none.totalPoints, none.firstStep], [[], 0, undefined])
  })
})

describe('min/max decimation', () => {
  it('keeps each bucket’s extremes at their own steps, in step order', () => {
    const steps = Array.from({ length: 12 }, (_, i) => i)
    const values = [5, 1, 9, 3, 3, 3, 7, 2, 8, 0, 4, 6]
    const out = decimateMinMax(steps, values, 6) // 3 buckets of 4 steps
    assert.deepEqual(out, { steps: [1, 2, 6, 7, 8, 9], values: [1, 9, 7, 2, 8, 0] })
    assert.deepEqual(decimateMinMax([1, 2], [3, 4], 10), { steps: [1, 2], values: [3, 4] })
  })
})
