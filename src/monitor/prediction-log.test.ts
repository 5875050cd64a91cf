import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { FsArtifactStore } from '../store/fs/artifact-store.js'
import { tempDir } from '../testing/fixtures.js'
import { PredictionLog, type PredictionLogRecord } from './prediction-log.js'

const day = 86_400_000
const record = (time: number, id: string): PredictionLogRecord => ({
  request_id: id,
  time: new Date(time).toISOString(),
  environment: 'production',
  model: 'credit risk',
  version: '3',
  path: '/invocations',
  status: 200,
  inputs: [{ x: 1 }],
  outputs: [0.5],
})

describe('the prediction log', () => {
  it('writes one gzipped JSON Lines file per endpoint and day, in date= partitions', async () => {
    const root = await tempDir('prediction-log')
    const now = Date.parse('2026-03-10T12:00:00Z')
    const log = new PredictionLog(new FsArtifactStore(root), { now: () => now, flushIntervalMs: 60_000 })
    log.append(record(now - day, 'a'), 30)
    log.append(record(now, 'b'), 30)
    log.append(record(now, 'c'), 30)
    await log.flush()
    const folder = join(root, 'monitoring/predictions/production/credit_risk')
    assert.deepEqual((await readdir(folder)).sort(), ['date=2026-03-09', 'date=2026-03-10'])
    const [file] = await readdir(join(folder, 'date=2026-03-10'))
    const lines = gunzipSync(await readFile(join(folder, 'date=2026-03-10', file!)))
      .toString('utf8')
      .trim()
      .split('\n')
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).request_id),
      ['b', 'c'],
    )
    await log.close()
  })

  it('deletes the date partitions older than the retention, keeping the rest', async () => {
    const root = await tempDir('prediction-log-retention')
    let now = Date.parse('2026-03-01T08:00:00Z')
    const log = new PredictionLog(new FsArtifactStore(root), { now: () => now, flushIntervalMs: 60_000 })
    for (let d = 0; d < 10; d++) {
      now = Date.parse('2026-03-01T08:00:00Z') + d * day
      log.append(record(now, `r${d}`), 3)
      await log.flush()
    }
    const folder = join(root, 'monitoring/predictions/production/credit_risk')
    // On 2026-03-10 with 3 days kept: 03-07 and later remain.
    assert.deepEqual((await readdir(folder)).sort(), ['date=2026-03-07', 'date=2026-03-08', 'date=2026-03-09', 'date=2026-03-10'])
    await log.close()
  })

  it('writes batches of the configured size at once, without waiting for the interval', async () => {
    const root = await tempDir('prediction-log-batch')
    const now = Date.parse('2026-03-10T12:00:00Z')
    const log = new PredictionLog(new FsArtifactStore(root), { now: () => now, flushIntervalMs: 3_600_000, maxBatchRecords: 2 })
    log.append(record(now, 'a'), 30)
    log.append(record(now, 'b'), 30)
    // The second append started a write; close() waits for writes in progress.
    await log.close()
    const folder = join(root, 'monitoring/predictions/production/credit_risk/date=2026-03-10')
    assert.equal((await readdir(folder)).length, 1)
  })
})
