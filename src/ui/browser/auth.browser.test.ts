import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { type RunningServer, startServer } from '../../integration/server-process.js'
import { tempDir } from '../../testing/fixtures.js'
import { api, launchBrowser, missingBrowser, openPage } from './test-harness.js'

const skip = missingBrowser()
const token = `ui-token-${Math.random().toString(36).slice(2)}`

/** A server started with a token: the page loads without it, then asks for it once per tab session. */
describe('web UI on a server that needs a token', { skip, timeout: 120_000 }, () => {
  let dir: string
  let server: RunningServer
  let browser: Browser
  let runId: string

  before(async () => {
    dir = await tempDir('ui-auth')
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_AUTH_TOKEN: token,
      WHARF_PROJECT_FILE: join(dir, 'none.yaml'),
    })
    const { experiment_id } = await api(server.url, 'POST', 'mlflow/experiments/create', { name: 'guarded' }, token)
    const { run } = await api(server.url, 'POST', 'mlflow/runs/create', { experiment_id, run_name: 'guarded-run' }, token)
    runId = run.info.run_id
    const root = String(run.info.artifact_uri).replace(/^mlflow-artifacts:\/*/, '')
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${root}/secret-notes.txt`, {
      method: 'PUT',
      body: 'only with the token',
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(put.status, 200)
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('asks for the token once, says when it is refused, keeps it for the session, and never puts it in a URL', async () => {
    const w = await openPage(browser)
    const { page } = w
    w.allowConsoleErrors(/status of 401/)
    const requests: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    await page.goto(`${server.url}/runs/${runId}?tab=artifacts`)
    const dialog = page.getByRole('dialog', { name: 'This server needs a token' })
    await dialog.waitFor()
    await w.screenshot('token-prompt')

    await dialog.getByLabel('Token').fill('not-the-token')
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await dialog.getByText('The server refused that token.').waitFor()
    await dialog.getByLabel('Token').fill(token)
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await dialog.waitFor({ state: 'hidden' })

    // Every request that had waited for the token went again with it: the run, then its files.
    await page.getByRole('heading', { name: 'guarded-run' }).waitFor()
    await page
      .getByRole('navigation', { name: 'Artifacts' })
      .getByRole('button', { name: /secret-notes\.txt/ })
      .click()
    await page.locator('pre.code').filter({ hasText: 'only with the token' }).waitFor()
    assert.equal(await page.evaluate('sessionStorage.getItem("wharf.token")'), token)
    assert.equal(await page.evaluate('localStorage.getItem("wharf.token")'), null)

    await page.reload()
    await page.getByRole('heading', { name: 'guarded-run' }).waitFor()
    assert.equal(await dialog.isVisible(), false, 'no second prompt in the same session')
    assert.ok(
      requests.every((u) => !u.includes(token)),
      'the token is never in a URL',
    )
    w.assertNoConsoleErrors()

    const other = await openPage(browser)
    other.allowConsoleErrors(/status of 401/)
    await other.page.goto(server.url)
    await other.page.getByRole('dialog', { name: 'This server needs a token' }).waitFor()
    other.assertNoConsoleErrors()
  })
})
