import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { type RunningServer, startServer } from '../../integration/server-process.js'
import { tempDir, waitFor } from '../../testing/fixtures.js'
import { api, launchBrowser, missingBrowser, openPage, type WatchedPage } from './test-harness.js'
import { csvText, historySteps, type SeededRun, seedManyRuns, seedTracking } from './test-tracking-data.js'

const skip = missingBrowser()
const manyRuns = 1200

/**
 * The tracking pages in Chromium against a real `wharf server`: experiments, the runs table, a
 * run with its charts and artifacts, and the comparison of runs. Data comes from the REST API.
 */
describe('web UI: experiments, runs, charts, artifacts, compare', { skip, timeout: 300_000 }, () => {
  let dir: string
  let server: RunningServer
  let browser: Browser
  let base: string
  let experimentId: string
  let runs: SeededRun[]
  let manyExperimentId: string

  before(async () => {
    dir = await tempDir('ui-tracking')
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_PROJECT_FILE: join(dir, 'none.yaml'),
    })
    base = server.url
    ;({ experimentId, runs } = await seedTracking(base))
    manyExperimentId = await seedManyRuns(base, manyRuns)
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await server?.stop()
  })

  const open = async (path: string, options: Parameters<typeof openPage>[1] = {}): Promise<WatchedPage> => {
    const watched = await openPage(browser, options)
    await watched.page.goto(base + path)
    return watched
  }

  it('lists, searches, creates, renames and deletes experiments', async () => {
    const w = await open('/')
    const { page } = w
    await page.getByRole('link', { name: 'ui-tracking' }).waitFor()
    assert.equal(new URL(page.url()).pathname, '/experiments', 'the root opens the experiments')
    await w.screenshot('experiments')

    await page.getByRole('searchbox', { name: 'Search experiments by name' }).fill('many')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.getByRole('link', { name: 'ui-many-runs' }).waitFor()
    assert.equal(await page.getByRole('link', { name: 'ui-tracking' }).count(), 0)
    await page.getByRole('searchbox', { name: 'Search experiments by name' }).fill('')
    await page.getByRole('button', { name: 'Search' }).click()

    await page.getByRole('button', { name: 'New experiment' }).click()
    await page.getByRole('dialog').getByLabel('Name').fill('made-in-ui')
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click()
    await page.getByRole('heading', { name: 'made-in-ui' }).waitFor()
    await page.getByText('No runs in this experiment yet').waitFor()
    const created = (await api(base, 'GET', 'mlflow/experiments/get-by-name?experiment_name=made-in-ui')).experiment
    assert.equal(new URL(page.url()).pathname, `/experiments/${created.experiment_id}`)

    await page.getByRole('link', { name: 'Experiments' }).first().click()
    await page.getByRole('button', { name: 'Rename made-in-ui' }).click()
    await page.getByRole('dialog').getByLabel('Name').fill('renamed-in-ui')
    await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click()
    await page.getByRole('link', { name: 'renamed-in-ui' }).waitFor()
    assert.equal((await api(base, 'GET', `mlflow/experiments/get?experiment_id=${created.experiment_id}`)).experiment.name, 'renamed-in-ui')

    await page.getByRole('button', { name: 'Delete renamed-in-ui' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('link', { name: 'renamed-in-ui' }).waitFor({ state: 'detached' })
    assert.equal((await api(base, 'GET', `mlflow/experiments/get?experiment_id=${created.experiment_id}`)).experiment.lifecycle_stage, 'deleted')
    w.assertNoConsoleErrors()
  })

  it('shows the runs table with chosen columns, sorts, filters, and shows a bad filter’s error inline', async () => {
    const w = await open(`/experiments/${experimentId}`)
    const { page } = w
    const table = page.getByRole('table', { name: 'Runs' })
    await table.getByRole('link', { name: 'alpha-run' }).waitFor()
    const rowOf = (name: string) => table.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) })
    // Default columns: the first metric and param keys (rmse among them), once the keys are listed.
    await table.getByRole('button', { name: 'Sort by rmse' }).waitFor()
    await waitFor('the rmse values', async () => ((await rowOf('alpha-run').getByRole('cell').allInnerTexts()).includes('0.42') ? true : undefined))
    for (const r of runs) {
      const cells = await rowOf(r.name).getByRole('cell').allInnerTexts()
      assert.ok(cells.includes(String(r.rmse)), `${r.name}: ${cells.join(' | ')}`)
      assert.ok(cells.includes(r.lr), `${r.name} lr`)
      assert.ok(cells.includes('finished'), `${r.name} status`)
      assert.ok(cells.includes('ana'), `${r.name} user`)
      assert.ok(
        cells.some((c) => /^1 min 3\d s$/.test(c)),
        `${r.name} duration: ${cells.join(' | ')}`,
      )
    }
    await w.screenshot('runs-table')

    await table.getByRole('button', { name: 'Sort by rmse' }).click()
    await waitFor('descending rmse order', async () => {
      const names = await table.getByRole('row').getByRole('link').allInnerTexts()
      return names.join(',') === 'beta-run,alpha-run,gamma-run' ? true : undefined
    })
    await table.getByRole('button', { name: 'Sort by rmse' }).click()
    await waitFor('ascending rmse order', async () =>
      (await table.getByRole('row').getByRole('link').allInnerTexts()).join(',') === 'gamma-run,alpha-run,beta-run' ? true : undefined,
    )
    assert.match(page.url(), /sort=metrics%3AASC%3Armse/)

    const filterBox = page.getByRole('searchbox', { name: 'Filter runs (MLflow search syntax)' })
    await filterBox.fill("metrics.rmse < 0.5 and params.model = 'gbdt'")
    await filterBox.press('Enter')
    await waitFor('the filtered rows', async () =>
      (await table.getByRole('row').getByRole('link').allInnerTexts()).sort().join(',') === 'alpha-run,gamma-run' ? true : undefined,
    )

    const bad = 'metrics.rmse >> 1'
    const expected = await api(base, 'POST', 'mlflow/runs/search', { experiment_ids: [experimentId], filter: bad }).catch((e) => e.body)
    w.expectConsoleError(/status of 400/)
    await filterBox.fill(bad)
    await filterBox.press('Enter')
    const alert = page.getByRole('alert')
    await alert.waitFor()
    assert.equal(await alert.locator('.error-message').innerText(), expected.message, 'the server’s own words')
    assert.equal(await filterBox.getAttribute('aria-invalid'), 'true')
    await w.screenshot('runs-filter-error')
    await page.getByRole('button', { name: 'Clear' }).click()
    await table.getByRole('link', { name: 'beta-run' }).waitFor()

    // A tag column, chosen in the column chooser, fetched and shown.
    await page.getByRole('button', { name: 'Columns' }).click()
    const chooser = page.getByRole('dialog', { name: 'Columns' })
    await chooser.getByRole('searchbox').fill('team')
    await chooser.getByRole('checkbox', { name: 'team' }).check()
    await chooser.getByRole('button', { name: 'Show columns' }).click()
    await table.getByRole('button', { name: 'Sort by team' }).waitFor()
    assert.ok((await rowOf('beta-run').getByRole('cell').allInnerTexts()).includes('speech'))
    w.assertNoConsoleErrors()
  })

  it('scrolls a table of many runs while keeping only the rows in view in the page', async () => {
    const w = await open(`/experiments/${manyExperimentId}`)
    const { page } = w
    const table = page.getByRole('table', { name: 'Runs' })
    await page.getByText(`${manyRuns.toLocaleString('en-US')} runs`).waitFor({ timeout: 60_000 })
    assert.equal(await table.getAttribute('aria-rowcount'), String(manyRuns + 1))
    const rendered = await table.locator('.vrow').count()
    assert.ok(rendered > 5 && rendered < 100, `${rendered} rows in the DOM for ${manyRuns} runs`)
    await table.getByRole('link', { name: `bulk-${String(manyRuns - 1).padStart(5, '0')}` }).waitFor()
    await page.locator('.vviewport').evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await table.getByRole('link', { name: 'bulk-00000', exact: true }).waitFor()
    assert.ok((await table.locator('.vrow').count()) < 100)
    await w.screenshot('runs-table-scrolled')
    w.assertNoConsoleErrors()
  })

  it('shows a run: params, metrics, tags, and charts with several metrics, log scale, smoothing and zoom', async () => {
    const alpha = runs[0]!
    const w = await open(`/runs/${alpha.runId}`)
    const { page } = w
    await page.getByRole('heading', { name: 'alpha-run' }).waitFor()
    const params = page.getByRole('table', { name: 'Parameters' })
    assert.deepEqual(await params.getByRole('row').filter({ hasText: 'lr' }).getByRole('cell').allInnerTexts(), ['0.1'])
    const metrics = page.getByRole('table', { name: 'Metrics' })
    assert.deepEqual(await metrics.getByRole('row').filter({ hasText: 'rmse' }).getByRole('cell').allInnerTexts(), ['0.42'])
    assert.deepEqual(await page.getByRole('table', { name: 'Tags' }).getByRole('row').filter({ hasText: 'team' }).getByRole('cell').allInnerTexts(), ['vision'])
    await w.screenshot('run-overview')

    await page.getByRole('tab', { name: 'Charts' }).click()
    const chart = page.locator('.chart[data-series-count]')
    await chart.waitFor()
    assert.equal(await chart.getAttribute('data-series-count'), '1')
    assert.equal(await chart.getAttribute('data-points'), String(historySteps))
    await page.getByRole('checkbox', { name: 'loss' }).check()
    await waitFor('two series', async () => ((await chart.getAttribute('data-series-count')) === '2' ? true : undefined))
    assert.equal(await chart.getAttribute('data-points'), String(2 * historySteps))
    await page.getByRole('checkbox', { name: 'Log scale' }).check()
    await page.locator('.chart canvas').waitFor()
    await page.getByRole('slider', { name: 'Smoothing' }).fill('0.8')
    await w.screenshot('run-charts')

    // Zooming in with the keyboard asks the server for the steps in view.
    const zoomed = page.waitForRequest((r) => r.url().includes('/wharf/metrics/sampled') && r.url().includes('min_step='))
    await chart.focus()
    await chart.press('+')
    await chart.press('+')
    const url = new URL((await zoomed).url())
    assert.ok(Number(url.searchParams.get('min_step')) > 0 && Number(url.searchParams.get('max_step')) < historySteps - 1, url.search)
    await page.getByRole('button', { name: 'Reset zoom' }).waitFor()
    w.assertNoConsoleErrors()
  })

  it('browses and previews artifacts: text, JSON, CSV as a table, an image, the MLmodel signature, and downloads', async () => {
    const w = await open(`/runs/${runs[0]!.runId}?tab=artifacts`)
    const { page } = w
    const tree = page.getByRole('navigation', { name: 'Artifacts' })
    await tree.getByRole('button', { name: /notes\.txt/ }).click()
    await page.locator('pre.code').filter({ hasText: 'Nothing unusual happened.' }).waitFor()

    await tree.getByRole('button', { name: /metrics\.json/ }).click()
    await page.locator('pre.code').filter({ hasText: '"folds": [' }).waitFor()

    await tree.getByRole('button', { name: 'data/' }).click()
    await tree.getByRole('button', { name: /sample\.csv/ }).click()
    const csv = page.getByRole('table', { name: 'CSV preview' })
    await csv.waitFor()
    assert.deepEqual(await csv.getByRole('columnheader').allInnerTexts(), ['age', 'bmi', 'target'])
    assert.equal(await csv.locator('tbody tr').count(), csvText.trim().split('\n').length - 1)

    await tree.getByRole('button', { name: /plot\.png/ }).click()
    const image = page.getByRole('img', { name: 'plot.png' })
    await image.waitFor()
    await waitFor('the image to decode', async () =>
      (await image.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)) === 4 ? true : undefined,
    )

    await tree.getByRole('button', { name: 'model/' }).click()
    await tree.getByRole('button', { name: /MLmodel/ }).click()
    const inputs = page.getByRole('table', { name: 'Signature inputs' })
    await inputs.waitFor()
    assert.deepEqual(await inputs.locator('tbody td:first-child').allInnerTexts(), ['age', 'bmi'])
    assert.match(await page.getByRole('table', { name: 'Signature outputs' }).innerText(), /tensor float64/)
    assert.match(await page.locator('.flavors').innerText(), /sklearn/)
    await w.screenshot('run-artifacts-mlmodel')

    await tree.getByRole('button', { name: /sample\.csv/ }).click()
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download sample.csv' }).click()
    const file = await download
    assert.equal(file.suggestedFilename(), 'sample.csv')
    assert.equal(await readFile((await file.path())!, 'utf8'), csvText)
    assert.doesNotMatch(page.url(), /token/i)
    w.assertNoConsoleErrors()
  })

  it('compares runs: overlaid curves of each run, a scatter, and the params that differ', async () => {
    const w = await open(`/experiments/${experimentId}`)
    const { page } = w
    const table = page.getByRole('table', { name: 'Runs' })
    for (const r of runs) await table.getByRole('checkbox', { name: `Select ${r.name}` }).check()
    await page.getByRole('button', { name: 'Compare (3)' }).click()
    await page.getByRole('heading', { name: 'Compare 3 runs' }).waitFor()
    await page.getByRole('combobox', { name: 'Metric' }).selectOption('loss')
    const curves = page.locator('.metric-panel .chart[data-series-count]')
    await waitFor('three curves', async () => ((await curves.getAttribute('data-series-count')) === '3' ? true : undefined))
    assert.equal(await curves.getAttribute('data-points'), String(3 * historySteps))
    const legend = await page.locator('.metric-panel .u-legend').innerText()
    for (const r of runs) assert.ok(legend.includes(r.name), legend)

    await page.getByRole('combobox', { name: 'X' }).selectOption('param:lr')
    await page.getByRole('combobox', { name: 'Y' }).selectOption('metric:rmse')
    const scatter = page.getByRole('img', { name: 'metric:rmse against param:lr' })
    await waitFor('three points', async () => ((await scatter.getAttribute('data-points')) === '3' ? true : undefined))

    const differing = page.getByRole('table', { name: 'Parameters that differ' })
    assert.deepEqual(await differing.locator('thead th').allInnerTexts(), ['Run', 'lr', 'model', 'accuracy', 'loss', 'rmse'])
    assert.ok(!(await differing.innerText()).includes('seed'), 'a param equal in every run is not listed')
    await w.screenshot('compare')
    w.assertNoConsoleErrors()
  })

  it('is readable at 390 px wide, follows a dark system theme, and can be driven from the keyboard', async () => {
    const narrow = await open(`/runs/${runs[0]!.runId}`, { width: 390, height: 844 })
    await narrow.page.getByRole('heading', { name: 'alpha-run' }).waitFor()
    const overflow = (await narrow.page.evaluate('document.documentElement.scrollWidth')) as number
    assert.ok(overflow <= 390, `the page is ${overflow} px wide`)
    await narrow.screenshot('run-390px')
    narrow.assertNoConsoleErrors()

    const dark = await open(`/experiments/${experimentId}`, { colorScheme: 'dark' })
    await dark.page.getByRole('link', { name: 'alpha-run' }).waitFor()
    const background = await dark.page.evaluate('getComputedStyle(document.body).backgroundColor')
    assert.equal(background, 'rgb(15, 18, 22)')
    await dark.screenshot('runs-table-dark')
    dark.assertNoConsoleErrors()

    const keys = await open('/experiments')
    const { page } = keys
    await page.getByRole('link', { name: 'ui-tracking' }).waitFor()
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content')
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab')
      if ((await page.evaluate('document.activeElement?.textContent')) === 'ui-tracking') break
    }
    await page.keyboard.press('Enter')
    await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'alpha-run' }).waitFor()
    assert.equal(new URL(page.url()).pathname, `/experiments/${experimentId}`)
    keys.assertNoConsoleErrors()
  })
})
