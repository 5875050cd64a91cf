import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningServer, startServer } from './server-process.js'

/**
 * Inputs that used to reach a 500 on a real `wharf server` (issue #12, item 8): each gets a 4xx
 * with an error code, and changes nothing.
 */
describe('answers to inputs that used to fail with 500', () => {
  let dir: string
  let server: RunningServer
  const pipelineFile = () => join(dir, 'wharf.yaml')

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-refusals-'))
    await writeFile(pipelineFile(), 'pipeline: nightly\nstages:\n  - { name: build, steps: [{ command: "true" }] }\n')
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_PROJECT_FILE: pipelineFile(),
    })
  })

  after(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const send = async (method: string, path: string, body?: string) => {
    const res = await fetch(`${server.url}${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }) })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : {} }
  }

  it('answers 400 for an artifact path longer than PATH_MAX, on every artifact route, and writes nothing', async () => {
    // 25 segments of 200 bytes: each under NAME_MAX, together over PATH_MAX (4096).
    const long = `${Array.from({ length: 25 }, (_, i) => `${i}`.padEnd(200, 'a')).join('/')}/model.onnx`
    const cases = [
      ['PUT', `/api/2.0/mlflow-artifacts/artifacts/${long}`, 'bytes'],
      ['GET', `/api/2.0/mlflow-artifacts/artifacts/${long}`],
      ['DELETE', `/api/2.0/mlflow-artifacts/artifacts/${long}`],
      ['GET', `/api/2.0/mlflow-artifacts/artifacts?path=${long}`],
    ] as const
    for (const [method, path, body] of cases) {
      const res = await fetch(`${server.url}${path}`, { method, ...(body ? { body } : {}) })
      const answer = (await res.json()) as { error_code: string }
      assert.equal(res.status, 400, `${method} ${path.slice(0, 60)}...: ${JSON.stringify(answer)}`)
      assert.equal(answer.error_code, 'INVALID_PARAMETER_VALUE')
    }
    assert.deepEqual(await readdir(join(dir, 'artifacts')).catch(() => []), [])
  })

  it('answers 400 for deeply nested JSON in runs/create (tracking and pipelines), and records no run', async () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    const pipelineRun = (trigger: string) =>
      `{"pipeline":"nightly","run_key":"deep","owner_pid":${process.pid},"owner_host":${JSON.stringify(hostname())},` +
      `"plan":[{"stage":"build","steps":[{"step":"command","kind":"command"}]}],"trigger":{"t":${trigger}}}`
    for (const depth of [10_000, 100_000]) {
      const tracking = await send('POST', '/api/2.0/mlflow/runs/create', `{"experiment_id":"0","tags":[],"x":${nested(depth)}}`)
      assert.equal(tracking.status, 400, JSON.stringify(tracking.body))
      assert.equal(tracking.body.error_code, 'INVALID_PARAMETER_VALUE')
      const pipeline = await send('POST', '/api/2.0/wharf/pipelines/runs/create', pipelineRun(nested(depth)))
      assert.equal(pipeline.status, 400, JSON.stringify(pipeline.body))
      assert.equal(pipeline.body.error_code, 'INVALID_PARAMETER_VALUE')
    }
    const runs = await send('POST', '/api/2.0/mlflow/runs/search', JSON.stringify({ experiment_ids: ['0'] }))
    assert.deepEqual(runs.body.runs ?? [], [])
    assert.deepEqual((await send('GET', '/api/2.0/wharf/pipelines/runs/list')).body.runs, [])
  })

  it('answers 409 RESOURCE_CONFLICT when the pipeline is already running, and keeps the first run', async () => {
    const create = (runKey: string) =>
      send(
        'POST',
        '/api/2.0/wharf/pipelines/runs/create',
        JSON.stringify({
          pipeline: 'nightly',
          run_key: runKey,
          owner_pid: process.pid,
          owner_host: hostname(),
          plan: [{ stage: 'build', steps: [{ step: 'command', kind: 'command' }] }],
        }),
      )
    const first = await create('first')
    assert.equal(first.status, 200, JSON.stringify(first.body))
    const second = await create('second')
    assert.equal(second.status, 409, JSON.stringify(second.body))
    assert.equal(second.body.error_code, 'RESOURCE_CONFLICT')
    assert.match(second.body.message, /already running/)
    const runs = (await send('GET', '/api/2.0/wharf/pipelines/runs/list')).body.runs as { run_key: string }[]
    assert.deepEqual(
      runs.map((r) => r.run_key),
      ['first'],
    )
  })
})
