import assert from 'node:assert/strict'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import type { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { buildApp } from '../server/app.js'
import { RegistryService } from '../registry/index.js'
import { FsArtifactStore } from '../store/fs/artifact-store.js'
import { SqliteRegistryStore } from '../store/sqlite/registry-store.js'
import { SqliteTrackingStore } from '../store/sqlite/tracking-store.js'
import { tempDir } from '../testing/fixtures.js'
import { TrackingService } from './tracking-service.js'

const headers = { 'content-type': 'application/json', host: '127.0.0.1:5000' }

describe('the web UI’s run table and chart routes', () => {
  let dir: string
  let app: Hono<AppEnv>
  let experimentId: string
  const runIds: string[] = []
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await app.request(`/api/2.0/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as any }
  }

  before(async () => {
    dir = await tempDir('run-views')
    const store = new SqliteTrackingStore(':memory:', { durability: 'normal' })
    const registry = new RegistryService(new SqliteRegistryStore(':memory:', { durability: 'normal' }), store)
    app = buildApp(
      { tracking: new TrackingService(store), artifacts: new FsArtifactStore(join(dir, 'a')), registry },
      { bindHost: '127.0.0.1', allowedHosts: [], corsAllowedOrigins: [] },
    )
    experimentId = (await call('POST', 'mlflow/experiments/create', { name: 'table' })).body.experiment_id
    for (let i = 0; i < 3; i++) {
      const { run } = (await call('POST', 'mlflow/runs/create', { experiment_id: experimentId, run_name: `run-${i}`, start_time: 1000 + i })).body
      runIds.push(run.info.run_id)
      const metrics = Array.from({ length: 50 }, (_, step) => ({ key: 'loss', value: (i + 1) / (step + 1), timestamp: step, step }))
      metrics.push({ key: 'acc', value: i === 2 ? Number.NaN : 0.5 + i / 10, timestamp: 0, step: 0 } as never)
      await call('POST', 'mlflow/runs/log-batch', {
        run_id: run.info.run_id,
        metrics: metrics.map((m) => ({ ...m, value: Number.isNaN(m.value) ? 'NaN' : m.value })),
        params: [{ key: 'lr', value: String(i) }],
      })
    }
  })

  it('answers a table of the chosen columns, ordered and filtered in MLflow syntax', async () => {
    const res = await call('POST', 'wharf/runs/table', {
      experiment_ids: [experimentId],
      filter: 'metrics.loss > 0.03',
      order_by: ['params.lr DESC'],
      metrics: ['acc'],
      params: ['lr'],
    })
    assert.equal(res.status, 200)
    assert.deepEqual(
      res.body.runs.map((r: any) => [r.run_name, r.params.lr, r.metrics.acc]),
      [
        ['run-2', '2', 'NaN'],
        ['run-1', '1', 0.6],
      ],
    )
    assert.equal(res.body.runs[0].status, 'RUNNING')
    assert.equal(res.body.runs[0].start_time, 1002)
    assert.deepEqual(res.body.runs[0].tags, {}, 'no tag column was asked for')
  })

  it('answers a bad filter with the error searchRuns gives, word for word', async () => {
    const filter = 'metrics.loss >> 1'
    const table = await call('POST', 'wharf/runs/table', { experiment_ids: [experimentId], filter })
    const search = await call('POST', 'mlflow/runs/search', { experiment_ids: [experimentId], filter })
    assert.equal(table.status, 400)
    assert.equal(table.body.error_code, 'INVALID_PARAMETER_VALUE')
    assert.deepEqual(table.body, search.body)
  })

  it('refuses more columns than a table shows', async () => {
    const res = await call('POST', 'wharf/runs/table', { experiment_ids: [experimentId], metrics: Array.from({ length: 201 }, (_, i) => `m${i}`) })
    assert.equal(res.status, 400)
    assert.match(res.body.message, /at most 200/)
  })

  it('lists the keys to choose columns from', async () => {
    const res = await call('GET', `wharf/runs/keys?experiment_ids=${experimentId}`)
    assert.deepEqual(res.body, { metric_keys: ['acc', 'loss'], param_keys: ['lr'], tag_keys: ['mlflow.runName'] })
  })

  it('answers thinned histories of several runs in one call', async () => {
    const q = runIds.map((id) => `run_ids=${id}`).join('&')
    const res = await call('GET', `wharf/metrics/sampled?${q}&metric_key=loss&max_points=10`)
    assert.equal(res.status, 200)
    assert.equal(res.body.series.length, 3)
    for (const [i, s] of res.body.series.entries()) {
      assert.equal(s.run_id, runIds[i])
      assert.equal(s.total_points, 50)
      assert.equal(s.sampled, true)
      assert.ok(s.steps.length <= 10)
      assert.equal(Math.max(...s.values), i + 1, 'the first step’s value, the highest, survives')
      assert.deepEqual([s.first_step, s.last_step], [0, 49])
    }
    const zoom = await call('GET', `wharf/metrics/sampled?run_ids=${runIds[0]}&metric_key=loss&min_step=10&max_step=14`)
    assert.deepEqual(zoom.body.series[0].steps, [10, 11, 12, 13, 14])
    assert.equal(zoom.body.series[0].sampled, false)
    const unknown = await call('GET', `wharf/metrics/sampled?run_ids=nope&metric_key=loss`)
    assert.equal(unknown.status, 404)
    const tooFew = await call('GET', `wharf/metrics/sampled?run_ids=${runIds[0]}&metric_key=loss&max_points=2`)
    assert.equal(tooFew.status, 400)
  })
})
