import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { serve } from '@hono/node-server'
import { type RegistryApp, makeRegistryApp } from '../server/test-registry-app.js'
import { listEvents, listModels, listVersions, setAlias, showModel } from './models.js'
import { tempDir } from '../testing/fixtures.js'

describe('wharf models', () => {
  let dir: string
  let w: RegistryApp
  let server: ReturnType<typeof serve>
  let trackingUri: string
  const lines: string[] = []
  const options = () => ({ trackingUri, out: (line: string) => lines.push(line) })
  const output = async (run: () => Promise<void>) => {
    lines.length = 0
    await run()
    return lines.join('\n')
  }

  before(async () => {
    dir = await tempDir('cli-models')
    w = makeRegistryApp(join(dir, 'artifacts'))
    server = serve({ fetch: w.app.fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    trackingUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const run = await w.tracking.createRun({ experimentId: '0', tags: [] })
    await w.post('registered-models/create', { name: 'fraud', description: 'catches fraud', tags: [{ key: 'team', value: 'risk' }] })
    for (let i = 0; i < 2; i++) await w.post('model-versions/create', { name: 'fraud', source: `${run.info.artifactUri}/model`, run_id: run.info.runId })
    await w.post('registered-models/create', { name: 'churn' })
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('lists registered models with their latest versions and aliases', async () => {
    const text = await output(() => listModels(options()))
    assert.match(text, /^NAME\s+LATEST\s+ALIASES\s+UPDATED/)
    assert.match(text, /\nchurn\s+-\s+-/)
    assert.match(text, /\nfraud\s+None:v2\s+-/)
    assert.match(await output(() => listModels({ ...options(), filter: "name = 'churn'" })), /churn/)
    assert.doesNotMatch(await output(() => listModels({ ...options(), filter: "name = 'churn'" })), /fraud/)
  })

  it('moves an alias and shows it on the model and its versions', async () => {
    assert.equal(await output(() => setAlias('fraud', 'champion', '1', options())), 'fraud@champion -> version 1 (None)')
    assert.equal(await output(() => setAlias('fraud', 'champion', '2', options())), 'fraud@champion -> version 2 (None)')
    const shown = await output(() => showModel('fraud', options()))
    assert.match(shown, /description: catches fraud/)
    assert.match(shown, /aliases:\s+champion=v2/)
    assert.match(shown, /tags:\s+team=risk/)
    const versions = await output(() => listVersions('fraud', options()))
    assert.match(versions, /^VERSION\s+STAGE/)
    assert.match(versions, /\n2\s+None\s+champion\s/)
    assert.match(versions, /\n1\s+None\s+-\s/)
  })

  it('prints the event log with time and actor, and JSON when asked', async () => {
    const text = await output(() => listEvents('fraud', options()))
    assert.match(text, /registered_model\.created/)
    assert.match(text, /client:wharf-cli\s+alias\.set\s+2\s+champion\s+\{"previous_version":"1"\}/)
    const json = JSON.parse(await output(() => listEvents('fraud', { ...options(), json: true, limit: '2' })))
    assert.deepEqual(
      json.map((e: { event: string }) => e.event),
      ['registered_model.created', 'model_version.created'],
    )
  })

  it("reports the server's error code and message, and a missing tracking URI", async () => {
    await assert.rejects(showModel('ghost', options()), /RESOURCE_DOES_NOT_EXIST: Registered Model with name=ghost not found/)
    await assert.rejects(setAlias('fraud', 'latest', '1', options()), /INVALID_PARAMETER_VALUE/)
    await assert.rejects(listModels({ trackingUri: undefined }), /WHARF_TRACKING_URI or MLFLOW_TRACKING_URI/)
  })
})
