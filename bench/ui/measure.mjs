// Measures one UI (wharf's or MLflow's) in headless Chromium on the benchmark's data.
//   node bench/ui/measure.mjs wharf|mlflow BASE_URL IDS_JSON ROUNDS > results.json
// Each figure is the page's own clock (performance.now(), from navigation start) when the thing
// asked for is on screen; the app's files come from the browser cache (a warm-up page first).
import { readFileSync } from 'node:fs'
import { chromium } from 'playwright-core'

const [ui, base, idsFile, roundsArg = '3'] = process.argv.slice(2)
const ids = JSON.parse(readFileSync(idsFile, 'utf8'))
const rounds = Number(roundsArg)
// MLflow's UI pages through a 1,000,000-point history 25,000 points at a time: give it ten minutes.
const timeout = 600_000
const chromiumPath = process.env.WHARF_CHROMIUM_PATH ?? '/usr/bin/chromium'

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})

// Long tasks (main thread busy > 50 ms) from navigation on: the page's responsiveness while loading.
const observeLongTasks = () => {
  window.__longTasks = []
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push(e.duration)
  }).observe({ type: 'longtask', buffered: true })
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  await context.addInitScript(observeLongTasks)
  const page = await context.newPage()
  // Warm-up: the app's own files into the cache, so each figure is about the data shown.
  // (Not 'networkidle': MLflow's UI keeps polling, so its network never goes quiet.)
  await page.goto(ui === 'wharf' ? `${base}/experiments` : `${base}/#/experiments`, { waitUntil: 'load', timeout })
  await page.waitForTimeout(3000)
  return page
}

/** Milliseconds from navigation start until `probe` (run every frame in the page) is true. */
async function timeTo(page, url, probe) {
  await page.goto(url)
  const handle = await page.waitForFunction(isShown, probe, { polling: 'raf', timeout })
  const ms = await handle.jsonValue()
  await page.waitForTimeout(1500)
  const tasks = await page.evaluate(() => window.__longTasks ?? [])
  return { ms, blockingMs: tasks.reduce((n, d) => n + Math.max(0, d - 50), 0), longestTaskMs: Math.max(0, ...tasks) }
}

const metricPage = (runIds, experimentId) =>
  `${base}/#/metric?runs=${encodeURIComponent(JSON.stringify(runIds))}&metric=${encodeURIComponent('"loss"')}&experiments=${encodeURIComponent(JSON.stringify([experimentId]))}&plot_metric_keys=${encodeURIComponent('["loss"]')}`

/**
 * Whether what a scenario waits for is on screen; the page's clock when it is. One function with
 * the probe as data: a page whose CSP forbids eval (wharf's) cannot run a predicate built from text.
 */
function isShown(probe) {
  let ok = false
  if (probe.text !== undefined) {
    ok = [...document.querySelectorAll('a, span, div')].some(
      (e) => e.childElementCount === 0 && e.textContent === probe.text && e.getBoundingClientRect().height > 0,
    )
  } else if (probe.chart !== undefined) {
    const c = document.querySelector(probe.chart)
    ok = !!c && !!c.querySelector('canvas') && Number(c.dataset.points) > 0
  } else if (probe.plotlyLines !== undefined) {
    const lines = [...document.querySelectorAll('.js-plotly-plot .scatterlayer .trace path.js-line')].filter((t) => (t.getAttribute('d') ?? '').length > 20)
    ok = lines.length >= probe.plotlyLines
  }
  return ok ? performance.now() : false
}

const scenarios = {
  wharf: {
    runs10k: (p) => timeTo(p, `${base}/experiments/${ids.runs10k}`, { text: 'run-09999' }),
    keys5k: (p) => timeTo(p, `${base}/experiments/${ids.keys5k}`, { text: 'wide-09999' }),
    compare200: (p) =>
      timeTo(p, `${base}/compare?experiment=${ids.compare}&metric=loss&runs=${ids.compareRuns.join(',')}`, {
        chart: '.metric-panel .chart[data-series-count="200"]',
      }),
    history1m: (p) => timeTo(p, `${base}/runs/${ids.historyRun}?tab=charts&metric=loss`, { chart: '.chart[data-points]' }),
    zoomTarget: '.chart .u-over',
  },
  mlflow: {
    runs10k: (p) => timeTo(p, `${base}/#/experiments/${ids.runs10k}/runs`, { text: 'run-09999' }),
    keys5k: (p) => timeTo(p, `${base}/#/experiments/${ids.keys5k}/runs`, { text: 'wide-09999' }),
    // MLflow's metric page (the one "compare runs" links to for a metric); plotly draws two traces per run.
    compare200: (p) => timeTo(p, metricPage(ids.compareRuns, ids.compare), { plotlyLines: 400 }),
    history1m: (p) => timeTo(p, metricPage([ids.historyRun], ids.history), { plotlyLines: 1 }),
    zoomTarget: '.js-plotly-plot .nsewdrag',
  },
}

/** Records every frame's duration in the page from now on. */
const startFrameLog = (page) =>
  page.evaluate(() => {
    const generation = (window.__frameLog ?? 0) + 1
    window.__frameLog = generation
    window.__frames = []
    let last = performance.now()
    const tick = (now) => {
      if (window.__frameLog !== generation) return
      window.__frames.push(now - last)
      last = now
      requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })

const nextFrame = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())))

async function frameStats(page) {
  const frames = await page.evaluate(() => window.__frames.slice(1))
  const sorted = [...frames].sort((a, b) => a - b)
  // At 60 Hz a frame is 16.7 ms; one that takes over two is a dropped frame.
  return {
    frames: frames.length,
    dropped: frames.filter((f) => f > 33.4).length,
    p95FrameMs: Math.round(sorted[Math.floor(sorted.length * 0.95)] ?? 0),
    maxFrameMs: Math.round(sorted.at(-1) ?? 0),
  }
}

/**
 * Zooms the drawn 1,000,000-point chart the way both UIs offer by default: drag across a range
 * (60 mouse moves, one per frame), release, let it redraw for 60 frames, double-click to reset,
 * 60 frames more. Then, where the chart zooms on the wheel, 120 wheel steps (in, then out).
 */
async function zoomFrames(page, selector) {
  const box = await page.locator(selector).first().boundingBox()
  if (!box) return { error: 'no chart' }
  const y = box.y + box.height / 2
  await page.mouse.move(box.x + box.width * 0.3, y)
  await startFrameLog(page)
  await page.mouse.down()
  for (let i = 1; i <= 60; i++) {
    await page.mouse.move(box.x + box.width * (0.3 + (0.3 * i) / 60), y)
    await nextFrame(page)
  }
  await page.mouse.up()
  for (let i = 0; i < 60; i++) await nextFrame(page)
  await page.mouse.dblclick(box.x + box.width / 2, y)
  for (let i = 0; i < 60; i++) await nextFrame(page)
  const drag = await frameStats(page)
  await startFrameLog(page)
  for (let i = 0; i < 120; i++) {
    await page.mouse.wheel(0, i < 60 ? -100 : 100)
    await nextFrame(page)
  }
  return { drag, wheel: await frameStats(page) }
}

/** Zooming a chart whose page freezes for seconds per input event could take hours: bounded. */
const zoomDeadlineMs = 180_000
const withDeadline = (promise, ms) =>
  Promise.race([
    promise.catch((err) => ({ error: String(err.message ?? err).split('\n')[0] })),
    new Promise((resolve) => setTimeout(() => resolve({ error: `the page did not finish zooming in ${ms / 1000} s` }), ms)),
  ])

const results = {}
for (const name of ['runs10k', 'keys5k', 'compare200', 'history1m']) {
  results[name] = []
  for (let r = 0; r < rounds; r++) {
    // A figure over a minute (or a timeout) is measured once: repeating it adds an hour, not insight.
    const last = results[name].at(-1)
    if (last && (last.error !== undefined || last.ms > 60_000)) break
    const page = await newPage()
    try {
      const m = await scenarios[ui][name](page)
      if (name === 'history1m') m.zoom = await withDeadline(zoomFrames(page, scenarios[ui].zoomTarget), zoomDeadlineMs)
      results[name].push(m)
      console.error(`${ui} ${name} round ${r + 1}: ${JSON.stringify(m)}`)
    } catch (err) {
      results[name].push({ error: String(err.message ?? err).split('\n')[0] })
      console.error(`${ui} ${name} round ${r + 1}: ${err.message}`)
    } finally {
      await page.context().close()
    }
  }
}
await browser.close()
process.stdout.write(JSON.stringify(results))
