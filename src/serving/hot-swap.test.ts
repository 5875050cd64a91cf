import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Predictor } from './predictor.js'
import type { RunningServing } from './serve-model.js'
import { diabetesColumns, diabetesRows, registryWithTwoVersions, serveDir, type RegistryFixture } from './test-fixtures.js'
import { waitFor } from '../testing/fixtures.js'

describe('hot swap of models:/NAME@ALIAS under load', () => {
  let registry: RegistryFixture
  let serving: RunningServing
  const rows = diabetesRows(3, 11)
  const expected = new Map<string, string>()

  before(async () => {
    registry = await registryWithTwoVersions()
    for (const [i, dir] of registry.versionDirs.entries()) {
      const p = await Predictor.load(dir)
      expected.set(String(i + 1), JSON.stringify(Array.from((p.predict(p.schema!.fromRows(rows)) as { values: Float64Array }).values)))
    }
    assert.notEqual(expected.get('1'), expected.get('2'), 'the two versions must predict differently')
    await registry.setAlias('champion', '1')
    serving = await serveDir('models:/diabetes@champion', { trackingUri: registry.server.url, cacheDir: registry.cacheDir, pollIntervalMs: 100 })
  })
  after(async () => {
    await serving?.close(1000)
    await registry?.close()
  })

  it('moves 1 → 2 → 1 with 16 clients sending: no failed request, every answer from exactly one version', async () => {
    const body = JSON.stringify({ dataframe_split: { columns: diabetesColumns, data: rows } })
    const seen: string[] = []
    const failures: string[] = []
    let stop = false
    const client = async () => {
      while (!stop) {
        try {
          const res = await fetch(`${serving.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          const text = await res.text()
          const version = res.headers.get('x-wharf-model-version') ?? 'none'
          if (res.status !== 200) failures.push(`${res.status} ${text}`)
          else if (version !== '1' && version !== '2') failures.push(`version header ${version}`)
          else if (JSON.stringify(JSON.parse(text).predictions) !== expected.get(version)) failures.push(`version ${version} answered ${text}`)
          seen.push(version)
        } catch (err) {
          failures.push(String(err))
        }
      }
    }
    const clients = Array.from({ length: 16 }, client)
    const firstAnswerBy = (version: string) => {
      const from = seen.length
      return waitFor(`version ${version} to answer`, () => (seen.indexOf(version, from) === -1 ? undefined : seen.indexOf(version, from)), 60_000)
    }
    // More answers than the clients can have in flight, so each stretch below has requests of its own.
    const answersBeyond = (index: number) => waitFor('more answers', () => seen.length >= index + 16 + 40, 60_000)
    let at2: number
    let at1: number
    try {
      await answersBeyond(0)
      await registry.setAlias('champion', '2')
      at2 = await firstAnswerBy('2')
      await answersBeyond(at2)
      await registry.setAlias('champion', '1')
      at1 = await firstAnswerBy('1')
      await answersBeyond(at1)
    } finally {
      // Also when a wait fails: clients left sending would keep the test process alive.
      stop = true
      await Promise.all(clients)
    }
    assert.deepEqual(failures.slice(0, 5), [])
    assert.ok(seen.length > 100, `only ${seen.length} requests were made`)
    // Once a new version has answered, later requests do not go back to the old one (one reference swap).
    // At most 16 requests (one per client) were already in flight when a swap happened.
    const afterTwo = seen.slice(at2 + 16, at1)
    assert.ok(afterTwo.length > 0 && afterTwo.every((v) => v === '2'), 'after the switch to 2, every request is answered by 2')
    const afterOne = seen.slice(at1 + 16)
    assert.ok(afterOne.length > 0 && afterOne.every((v) => v === '1'), 'after the switch back, every request is answered by 1')
    const metrics = await (await fetch(`${serving.url}/metrics`)).text()
    assert.match(metrics, /wharf_serving_requests_total\{route="\/invocations",model="diabetes",version="2",status="200"\} \d+/)
    assert.match(metrics, /wharf_serving_model_load_seconds\{model="diabetes",version="2"\}/)
  })
})
