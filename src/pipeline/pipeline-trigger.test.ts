import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { signDelivery } from '../registry/index.js'
import { openSqlite } from '../store/sqlite/database.js'
import { PipelineCatalog } from './pipeline-catalog.js'
import { PipelineTrigger } from './pipeline-trigger.js'
import { SqlitePipelineStore } from '../store/sqlite/pipeline-store.js'
import { tempDir } from '../testing/fixtures.js'

const secret = 'webhook-secret-for-tests'

async function setup() {
  const dir = await tempDir('trigger')
  const file = join(dir, 'wharf.yaml')
  await writeFile(
    file,
    `
pipeline: hooked
triggers: [{ event: model_version.created, model: fraud, stages: [test] }]
stages:
  - { name: build, steps: [{ command: "true" }] }
  - { name: test, steps: [{ name: t, command: "true" }] }
`,
  )
  const store = new SqlitePipelineStore(openSqlite(':memory:', { durability: 'normal' }), { ownsDb: true, isOwnerAlive: () => true })
  const started: (readonly string[])[] = []
  const trigger = new PipelineTrigger({
    store,
    secret,
    catalog: new PipelineCatalog({ files: [file], artifactRoot: undefined }),
    trackingUri: () => 'http://127.0.0.1:1',
    token: undefined,
    runnerEnvironment: () => ({}),
    startRunner: (args) => started.push(args),
  })
  return { trigger, started }
}

const delivery = (body: object, options: { secret?: string; timestamp?: string; pipeline?: string; signedTarget?: string } = {}) => {
  const text = JSON.stringify(body)
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000))
  const pipeline = options.pipeline ?? 'hooked'
  const target = `/api/2.0/wharf/pipelines/trigger?pipeline=${pipeline}`
  const signature = signDelivery(options.secret ?? secret, { timestamp, method: 'POST', target: options.signedTarget ?? target, body: text })
  return { method: 'POST', target, body: text, timestamp, signature, pipeline, stages: undefined }
}

describe('the pipeline webhook receiver', () => {
  it('starts the stages of the trigger that matches a signed registry event', async () => {
    const { trigger, started } = await setup()
    const result = await trigger.handle(delivery({ delivery_id: 'd1', event: 'model_version.created', model: 'fraud', version: '4' }))
    assert.equal(result.accepted, true)
    assert.deepEqual(result.stages, ['test'])
    assert.deepEqual(started[0]?.slice(0, 2), ['pipeline', 'run'])
    assert.ok(started[0]?.includes('webhook-d1'))
    assert.match(started[0]!.join(' '), /"version":"4"/)
  })

  it('refuses a delivery signed with another secret, or an old one', async () => {
    const { trigger, started } = await setup()
    await assert.rejects(trigger.handle(delivery({ delivery_id: 'd2' }, { secret: 'not-the-secret' })), /bad X-Wharf-Signature/)
    await assert.rejects(trigger.handle(delivery({ delivery_id: 'd3' }, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) })), /stale/)
    assert.equal(started.length, 0)
  })

  it('refuses a delivery whose signature covers another path or query', async () => {
    const { trigger, started } = await setup()
    for (const signedTarget of ['/api/2.0/wharf/pipelines/trigger?pipeline=other', '/api/2.0/wharf/pipelines/trigger?pipeline=hooked&stages=test', '/hook']) {
      await assert.rejects(
        trigger.handle(delivery({ delivery_id: 'd6', event: 'model_version.created', model: 'fraud' }, { signedTarget })),
        /bad X-Wharf-Signature/,
      )
    }
    assert.equal(started.length, 0)
  })

  it('ignores events no trigger asks for', async () => {
    const { trigger, started } = await setup()
    const result = await trigger.handle(delivery({ delivery_id: 'd4', event: 'model_version.created', model: 'other' }))
    assert.equal(result.accepted, false)
    assert.equal(started.length, 0)
  })

  it('refuses a delivery for a pipeline no configured file defines, starting nothing', async () => {
    const { trigger, started } = await setup()
    await assert.rejects(
      trigger.handle(delivery({ delivery_id: 'd5', event: 'model_version.created', model: 'fraud' }, { pipeline: 'elsewhere' })),
      /no pipeline named 'elsewhere' is configured/,
    )
    assert.equal(started.length, 0)
  })
})
