import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { getJson, postJson, startServer } from './server-process.js'
import { tempDir, waitFor } from '../testing/fixtures.js'

const clients = 8
const metricsPerBatch = 100

describe('durability of acknowledged writes', () => {
  const dirs: string[] = []
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('keeps every acknowledged log-batch whole after SIGKILL, never half a batch, never "database is locked"', async () => {
    const dir = await tempDir('durability')
    dirs.push(dir)
    const args = ['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')]
    const server = await startServer(args)

    const exp = await postJson(server.url, 'experiments/create', { name: 'durability' })
    const runIds: string[] = []
    for (let c = 0; c < clients; c++) {
      const run = await postJson(server.url, 'runs/create', { experiment_id: exp.body.experiment_id })
      runIds.push(run.body.run.info.run_id)
    }

    // Each client writes batches of 100 metric points; batch b holds steps b*100 .. b*100+99.
    const acknowledged = runIds.map(() => new Set<number>())
    const refusals: string[] = []
    let stopping = false
    const client = async (c: number) => {
      for (let batch = 0; !stopping; batch++) {
        const metrics = Array.from({ length: metricsPerBatch }, (_, i) => ({
          key: 'loss',
          value: batch + i / 1000,
          timestamp: Date.now(),
          step: batch * metricsPerBatch + i,
        }))
        try {
          const res = await postJson(server.url, 'runs/log-batch', { run_id: runIds[c], metrics, params: [{ key: `batch_${batch}`, value: String(batch) }] })
          if (res.status === 200) acknowledged[c]!.add(batch)
          else refusals.push(`${res.status} ${JSON.stringify(res.body)}`)
        } catch {
          return // the connection died with the server: that batch was never acknowledged
        }
      }
    }
    const load = Promise.all(runIds.map((_, c) => client(c)))
    // Kill once plenty of batches are in, while all eight clients are still writing.
    await waitFor('200 acknowledged batches', () => acknowledged.reduce((n, s) => n + s.size, 0) >= 200, 60_000, 20)
    await server.stop('SIGKILL')
    stopping = true
    await load

    assert.deepEqual(
      refusals.filter((r) => /locked/i.test(r)),
      [],
      'no client saw database is locked',
    )
    assert.deepEqual(refusals, [], 'no batch was refused before the kill')

    const restarted = await startServer(args)
    try {
      for (let c = 0; c < clients; c++) {
        const history = await getJson(restarted.url, `metrics/get-history?run_id=${runIds[c]}&metric_key=loss`)
        assert.equal(history.status, 200)
        const pointsPerBatch = new Map<number, number>()
        for (const m of history.body.metrics ?? []) {
          const batch = Math.floor(m.step / metricsPerBatch)
          pointsPerBatch.set(batch, (pointsPerBatch.get(batch) ?? 0) + 1)
        }
        for (const [batch, points] of pointsPerBatch) assert.equal(points, metricsPerBatch, `client ${c} batch ${batch} is whole`)
        for (const batch of acknowledged[c]!) assert.ok(pointsPerBatch.has(batch), `client ${c} acknowledged batch ${batch} survived`)
        const run = await getJson(restarted.url, `runs/get?run_id=${runIds[c]}`)
        const params = new Set((run.body.run.data.params ?? []).map((p: { key: string }) => p.key))
        for (const batch of pointsPerBatch.keys()) assert.ok(params.has(`batch_${batch}`), `client ${c} batch ${batch} param written with its metrics`)
        assert.equal(params.size, pointsPerBatch.size, `client ${c}: params and metrics of each batch committed together`)
      }
    } finally {
      await restarted.stop()
    }
  })
})
