import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { copyFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser } from 'playwright-core'
import { appRoot, wharfBin } from '../../app-paths.js'
import { type RunningServer, startServer } from '../../integration/server-process.js'
import { tempDir, waitFor } from '../../testing/fixtures.js'
import { api, launchBrowser, missingBrowser, openPage, type WatchedPage } from './test-harness.js'

const skip = missingBrowser()
const demoSecret = `demo-secret-${Math.random().toString(36).slice(2)}`

/**
 * The quickstart pipeline with a manual approval gate, run by `wharf pipeline run` against a real
 * server; the test approves the gate in the browser. Then the deployments it made (real serving
 * processes), and the registry's aliases, moved in the browser and read back through the API.
 */
const pipelineFile = `
pipeline: diabetes
variables: { model_name: diabetes }
secrets:
  WHARF_DEMO_TOKEN: { env: WHARF_DEMO_TOKEN }
environments:
  staging: { target: local }
  production: { target: local }
stages:
  - name: train
    steps:
      - name: greet
        command: "echo demo=\${{ secrets.WHARF_DEMO_TOKEN }}"
      - name: train
        train: { data: diabetes.csv, target: progression, model: elasticnet, params: { alpha: "0.01", l1_ratio: "0.5" }, experiment: diabetes }
      - name: register
        register: { model: diabetes }
  - name: staging
    environment: staging
    steps:
      - name: deploy_staging
        deploy: { model: diabetes, version: "\${{ steps.register.outputs.version }}", environment: staging }
  - name: gate
    steps:
      - name: gate
        gate: { metrics: { r2: { min: 0.2 } }, approval: manual, timeout: 5m }
  - name: production
    environment: production
    when: succeeded()
    steps:
      - name: promote
        promote: { model: diabetes, from: staging, to: production }
`

const row = {
  columns: ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
  data: [[0.0381, 0.0507, 0.0617, 0.0219, -0.0442, -0.0348, -0.0434, -0.0026, 0.0199, -0.0176]],
}

describe('web UI: pipelines with approval, deployments, registry aliases', { skip, timeout: 600_000, concurrency: false }, () => {
  let dir: string
  let server: RunningServer
  let browser: Browser
  let base: string
  let runner: { child: ChildProcess; done: Promise<{ code: number | null; output: string }> }

  before(async () => {
    dir = await tempDir('ui-ops')
    await writeFile(join(dir, 'wharf.yaml'), pipelineFile)
    await copyFile(join(appRoot, 'examples', 'diabetes', 'diabetes.csv'), join(dir, 'diabetes.csv'))
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
    })
    base = server.url
    browser = await launchBrowser()
  })
  after(async () => {
    runner?.child.kill('SIGTERM')
    // Serving processes outlive the server on purpose (it adopts them on restart): stop them here.
    const listed = await api(base, 'GET', 'wharf/deployments/list').catch(() => ({ endpoints: [] }))
    for (const e of listed.endpoints)
      for (const i of e.instances)
        if (i.pid)
          try {
            process.kill(i.pid, 'SIGTERM')
          } catch {
            /* gone */
          }
    await browser?.close()
    await server?.stop()
    await sleep(300)
  })

  const open = async (path: string): Promise<WatchedPage> => {
    const watched = await openPage(browser)
    await watched.page.goto(base + path)
    return watched
  }

  it('shows a pipeline waiting at its gate, approves it, and the pipeline finishes', async () => {
    const child = spawn(process.execPath, [wharfBin, 'pipeline', 'run', join(dir, 'wharf.yaml')], {
      cwd: dir,
      env: { ...process.env, WHARF_TRACKING_URI: base, WHARF_DEMO_TOKEN: demoSecret, WHARF_PIPELINE_MODEL_CACHE_DIR: join(dir, 'models') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()))
    runner = { child, done: new Promise((resolve) => child.once('close', (code) => resolve({ code, output }))) }

    const w = await open('/pipelines')
    const { page } = w
    const runs = page.getByRole('table', { name: 'Pipeline runs' })
    await runs.getByText('waiting for approval').waitFor({ timeout: 120_000 })
    await w.screenshot('pipelines')
    await runs.getByRole('link').first().click()
    const approval = page.getByRole('region', { name: 'Approval for gate' })
    await approval.waitFor()
    const timeline = page.getByRole('list', { name: 'Stage timeline' })
    assert.deepEqual(
      await timeline.locator('[data-stage]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-stage')}:${e.getAttribute('data-status')}`)),
      ['train:succeeded', 'staging:succeeded', 'gate:running', 'production:pending'],
    )
    await w.screenshot('pipeline-run-waiting')

    await approval.getByRole('button', { name: 'Approve' }).click()
    const dialog = page.getByRole('dialog', { name: 'Approve gate?' })
    await dialog.getByLabel('Comment (optional)').fill('checked the metrics')
    await dialog.getByRole('button', { name: 'Approve' }).click()
    const finished = await runner.done
    assert.equal(finished.code, 0, finished.output)
    assert.doesNotMatch(finished.output, new RegExp(demoSecret))

    await page
      .getByRole('heading', { name: /diabetes/ })
      .locator('..')
      .getByText('succeeded')
      .waitFor({ timeout: 30_000 })
    await waitFor('every stage succeeded', async () => {
      const states = await timeline.locator('[data-stage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))
      return states.every((s) => s === 'succeeded') ? true : undefined
    })
    const runId = new URL(page.url()).pathname.split('/').pop()!
    const decision = await api(base, 'GET', `wharf/pipelines/runs/decision?run_id=${runId}&step=gate`)
    assert.equal(decision.decision, 'approved')
    assert.equal(decision.comment, 'checked the metrics')

    // Logs as stored: the runner masked the secret before sending them.
    const logs = page.locator('pre.log')
    await page.getByRole('combobox', { name: 'Step' }).selectOption('greet')
    await logs.getByText(/demo=\*+/).waitFor()
    assert.doesNotMatch(await page.content(), new RegExp(demoSecret))
    await page.getByRole('combobox', { name: 'Step' }).selectOption('gate')
    await logs.getByText(/approved by/).waitFor()
    await w.screenshot('pipeline-run-finished')
    w.assertNoConsoleErrors()
  })

  it('shows what runs where: live version, traffic split and shadow, health, live request rate and p50/p99, history', async () => {
    // A second version, shadowing the first in staging.
    const v1 = (await api(base, 'GET', 'mlflow/model-versions/get?name=diabetes&version=1')).model_version
    await api(base, 'POST', 'mlflow/model-versions/create', { name: 'diabetes', source: v1.source, run_id: v1.run_id })
    await api(base, 'POST', 'wharf/deployments/deploy', { model_name: 'diabetes', environment: 'staging', version: '2', shadow_percent: 50 })
    const production = (await api(base, 'GET', 'wharf/deployments/list?environment=production')).endpoints[0]
    // Deployed endpoints require a key, as Azure ML's do.
    const keys = await api(base, 'GET', 'wharf/deployments/keys?environment=production&model_name=diabetes')

    const w = await open('/deployments')
    const { page } = w
    const prod = page.locator('[data-endpoint="production/diabetes"]')
    const staging = page.locator('[data-endpoint="staging/diabetes"]')
    await prod.waitFor()
    assert.match(await prod.locator('.live-version').innerText(), /^v1$/)
    assert.match(await prod.locator('.traffic-bar').innerText(), /v1 100%/)
    await prod.locator('tr[data-version="1"]').getByText('ready').waitFor()
    assert.match(await staging.locator('.shadow').innerText(), /v2 gets a copy of 50% of requests/)
    await staging.locator('tr[data-version="2"]').getByText('shadow').waitFor()

    // Traffic on production: the page shows its rate and latency, scraped from the serving process.
    let isSending = true
    const traffic = (async () => {
      while (isSending) {
        const res = await fetch(`${production.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.primary_key}` },
          body: JSON.stringify({ dataframe_split: row }),
        })
        assert.equal(res.status, 200)
        await res.arrayBuffer()
        await sleep(5)
      }
    })()
    try {
      const live = prod.locator('tr[data-version="1"]')
      await waitFor(
        'a live request rate',
        async () =>
          /^\d+\.\d\/s$/.test(await live.locator('.live-rate').innerText()) && (await live.locator('.live-rate').innerText()) !== '0.0/s' ? true : undefined,
        60_000,
      )
      assert.match(await live.locator('.live-p50').innerText(), /^[\d.]+ ms$/)
      assert.match(await live.locator('.live-p99').innerText(), /^[\d.]+ ms$/)
      await w.screenshot('deployments')
    } finally {
      isSending = false
      await traffic
    }
    const history = page.getByRole('table', { name: 'Deployment history' })
    assert.match(await history.innerText(), /promote/)
    assert.match(await history.innerText(), /production/)
    w.assertNoConsoleErrors()

    const narrow = await openPage(browser, { width: 390, height: 844 })
    await narrow.page.goto(`${base}/deployments`)
    await narrow.page.locator('[data-endpoint="production/diabetes"] tr[data-version="1"]').waitFor()
    assert.ok(((await narrow.page.evaluate('document.documentElement.scrollWidth')) as number) <= 390, 'no page-wide horizontal scroll at 390 px')
    await narrow.screenshot('deployments-390px')
    narrow.assertNoConsoleErrors()
  })

  it('sets, moves and deletes an alias on the model page, as the API then reads it, and links a version to its run', async () => {
    const w = await open('/models')
    const { page } = w
    await page.getByRole('link', { name: 'diabetes' }).first().click()
    await page.getByRole('table', { name: 'Model versions' }).locator('tr[data-version="2"]').waitFor()
    await w.screenshot('model')

    await page.getByRole('button', { name: 'Set an alias' }).click()
    let dialog = page.getByRole('dialog', { name: 'Set an alias' })
    await dialog.getByLabel('Alias').fill('champion')
    await dialog.getByLabel('Version').selectOption('1')
    await dialog.getByRole('button', { name: 'Set alias' }).click()
    await page.locator('[data-alias="champion"]').getByRole('link', { name: 'v1' }).waitFor()
    assert.equal((await api(base, 'GET', 'mlflow/registered-models/alias?name=diabetes&alias=champion')).model_version.version, '1')

    await page.getByRole('button', { name: 'Move alias champion' }).click()
    dialog = page.getByRole('dialog', { name: 'Move @champion' })
    await dialog.getByLabel('Version').selectOption('2')
    await dialog.getByRole('button', { name: 'Move alias' }).click()
    await page.locator('[data-alias="champion"]').getByRole('link', { name: 'v2' }).waitFor()
    assert.equal((await api(base, 'GET', 'mlflow/registered-models/alias?name=diabetes&alias=champion')).model_version.version, '2')
    const events = page.getByRole('table', { name: 'Registry events' })
    await events.getByRole('row').filter({ hasText: 'alias.set' }).filter({ hasText: 'v2' }).waitFor()
    await w.screenshot('model-alias-moved')

    await page.getByRole('button', { name: 'Delete alias champion' }).click()
    await page.getByRole('dialog', { name: 'Delete @champion?' }).getByRole('button', { name: 'Delete alias' }).click()
    await page.locator('[data-alias="champion"]').waitFor({ state: 'detached' })
    await assert.rejects(api(base, 'GET', 'mlflow/registered-models/alias?name=diabetes&alias=champion'), { status: 404 })
    await events.getByRole('row').filter({ hasText: 'alias.deleted' }).waitFor()

    await page.getByRole('table', { name: 'Model versions' }).getByRole('link', { name: 'v1', exact: true }).click()
    const lineage = page.locator('.lineage-run')
    const runId = (await api(base, 'GET', 'mlflow/model-versions/get?name=diabetes&version=1')).model_version.run_id
    assert.equal(await lineage.innerText(), runId)
    await w.screenshot('model-version')
    await lineage.click()
    await page.getByRole('tab', { name: 'Overview' }).waitFor()
    assert.equal(new URL(page.url()).pathname, `/runs/${runId}`)
    await page.getByText(/Registered as/).waitFor()
    w.assertNoConsoleErrors()
  })
})
