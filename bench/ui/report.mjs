// Writes bench/results/ui.md from the two measure.mjs outputs (see run.sh for the arguments).
import { readFileSync } from 'node:fs'
import { cpus, hostname } from 'node:os'

const [wharfFile, mlflowFile, rounds, seedSeconds, loadStart, loadEnd, mlflowVersion, chromiumVersion, commit] = process.argv.slice(2)
const wharf = JSON.parse(readFileSync(wharfFile, 'utf8'))
const mlflow = JSON.parse(readFileSync(mlflowFile, 'utf8'))

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const ok = (rs) => rs.filter((r) => r.error === undefined)
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s` : `${Math.round(ms)} ms`)
const cell = (rs, pick = (r) => r.ms) => {
  const good = ok(rs)
  const failed = rs.length - good.length
  if (good.length === 0) return `not shown (${rs[0]?.error ?? 'no result'})`
  const xs = good.map(pick)
  const spread = xs.length > 1 ? ` (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})` : ' (1 round)'
  return `${fmt(median(xs))}${spread}${failed ? `, ${failed} of ${rs.length} timed out` : ''}`
}
const ratio = (a, b) => {
  const [x, y] = [ok(a), ok(b)]
  if (x.length === 0 || y.length === 0) return '–'
  return `${(median(y.map((r) => r.ms)) / median(x.map((r) => r.ms))).toFixed(1)}×`
}
const blocking = (rs) => {
  const good = ok(rs)
  return good.length ? `${Math.round(median(good.map((r) => r.blockingMs)))} ms / ${Math.round(median(good.map((r) => r.longestTaskMs)))} ms` : '–'
}
const frames = (rs, kind) => {
  const zoomError = ok(rs).find((r) => r.zoom?.error)?.zoom.error
  if (zoomError) return zoomError
  const good = ok(rs)
    .map((r) => r.zoom?.[kind])
    .filter((z) => z?.frames)
  if (good.length === 0) return '–'
  return `${median(good.map((z) => z.dropped))} of ${median(good.map((z) => z.frames))} dropped; p95 ${median(good.map((z) => z.p95FrameMs))} ms, worst ${median(good.map((z) => z.maxFrameMs))} ms`
}

const rows = [
  ['runs table, 10,000 runs', 'runs10k', 'first rows on screen (the newest run)', '< 1 s'],
  ['runs table, 10,000 runs over 5,000 metric keys', 'keys5k', 'first rows on screen', '< 1 s'],
  ['200 runs’ loss curves overlaid', 'compare200', 'all 200 curves drawn', '< 2 s'],
  ['a 1,000,000-point metric history', 'history1m', 'the curve drawn', '< 1 s'],
]

const cpu = cpus()[0]?.model ?? 'unknown CPU'
const out = []
out.push('# Web UI benchmark: wharf’s UI vs MLflow’s UI, same data, headless Chromium\n')
out.push(
  `- date: ${new Date().toISOString().slice(0, 19)}Z; machine: ${hostname()}, ${cpu}, ${cpus().length} cores; load average ${loadStart} at the start, ${loadEnd} at the end`,
)
out.push(
  `- wharf at commit ${commit}; versions: node ${process.version}, ${chromiumVersion.trim()}, MLflow ${mlflowVersion.trim()} (\`mlflow server\`, SQLite backend, its default workers)`,
)
out.push(`- command: \`bash bench/ui/run.sh ${rounds}\`: both servers started by the script in one run; ${rounds} rounds per figure, median (min–max);`)
out.push('  a figure over a minute is measured once (marked "1 round"), a page that shows nothing in ten minutes is reported as not shown')
out.push(`- data (seeded in ${seedSeconds} s through wharf's REST API, then the same rows copied into MLflow's database by bench/ui/copy_to_mlflow.py):`)
out.push('  10,000 runs with 5 params, 5 metrics and 3 tags; 10,000 runs logging 50 each of 5,000 metric keys; 200 runs with a')
out.push('  1,000-step loss curve; one run with a 1,000,000-step loss history.')
out.push('- each figure is the page’s own clock (`performance.now()` from navigation start) when the thing named is on screen;')
out.push('  the app’s files come from the browser cache (a warm-up page first). MLflow pages: `#/experiments/ID/runs` and the')
out.push('  metric page its compare view links to (`#/metric?runs=[…]&metric="loss"`); wharf pages: `/experiments/ID`, `/compare`, `/runs/ID?tab=charts`.\n')
out.push('| what | measured until | target | wharf | MLflow | MLflow / wharf |')
out.push('| --- | --- | --- | --- | --- | --- |')
for (const [label, key, until, target] of rows)
  out.push(`| ${label} | ${until} | ${target} | ${cell(wharf[key])} | ${cell(mlflow[key])} | ${ratio(wharf[key], mlflow[key])} |`)
out.push('\nResponsiveness while loading: main-thread time blocked by long tasks (the part of each task over 50 ms, summed) / the longest task.\n')
out.push('| what | wharf | MLflow |')
out.push('| --- | --- | --- |')
for (const [label, key] of rows) out.push(`| ${label} | ${blocking(wharf[key])} | ${blocking(mlflow[key])} |`)
out.push('\nZooming the 1,000,000-point chart (frames over 33.4 ms count as dropped at 60 Hz):\n')
out.push('| interaction | wharf | MLflow |')
out.push('| --- | --- | --- |')
out.push(`| drag across a range, release, double-click to reset (180 frames) | ${frames(wharf.history1m, 'drag')} | ${frames(mlflow.history1m, 'drag')} |`)
out.push(`| mouse wheel, 120 steps in then out | ${frames(wharf.history1m, 'wheel')} | ${frames(mlflow.history1m, 'wheel')} |`)
out.push('\nWhat the figures are, beside the numbers:\n')
out.push('- MLflow’s runs table shows its first 100 runs (more on request); wharf’s scrolls through all 10,000, loaded in the')
out.push('  background after the first 200 are on screen, with only the columns shown fetched (`/api/2.0/wharf/runs/table`).')
out.push('- MLflow’s metric page first draws a 320-point sample (`get-history-bulk-interval`), then pages through the whole')
out.push('  history 25,000 points at a time; its figure is the first drawing. Wharf draws ~2,400 points chosen on the server')
out.push('  (each bucket’s min and max, `/api/2.0/wharf/metrics/sampled`) and asks again for the steps in view after a zoom.')
out.push('- The machine is shared: the load average (above) inflates every absolute figure; the ratio is the claim.')
process.stdout.write(`${out.join('\n')}\n`)
