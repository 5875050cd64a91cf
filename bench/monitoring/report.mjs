// Turns bench/monitoring/run.sh's results into bench/results/monitoring.md: per configuration the
// median throughput and p99 over the rounds, their spread, and the ratio to `off` from the same run;
// and how many requests the prediction log holds against how many were sent (the sampling check).
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'

const [file, logRoot, ingestFile, rounds, durations, loadBefore, loadAfter] = process.argv.slice(2)
const rows = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const configs = ['off', 'log10', 'logdrift10']
const of = (c) => rows.filter((r) => r.config === c).map((r) => r.result)

const logged = (env) => {
  const dir = join(logRoot, env, 'diabetes')
  if (!existsSync(dir)) return 0
  let n = 0
  for (const part of readdirSync(dir))
    for (const f of readdirSync(join(dir, part)))
      n += gunzipSync(readFileSync(join(dir, part, f)))
        .toString()
        .trim()
        .split('\n').length
  return n
}
const sent = (c) => of(c).reduce((s, r) => s + r.requests, 0)
const version = (cmd) => {
  try {
    return execSync(cmd, { encoding: 'utf8' }).trim().split('\n')[0]
  } catch {
    return 'unknown'
  }
}

const lines = [
  '# Monitoring overhead',
  '',
  `Run ${new Date().toISOString()} by \`bash bench/monitoring/run.sh\` (${rounds} rounds, ${durations.split(' ')[0]} each after ${durations.split(' ')[1]} warm-up).`,
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; load average before ${loadBefore}, after ${loadAfter}.`,
  `Node ${process.version}; ${version('wrk -v 2>&1 || true')}; Wharf ${JSON.parse(readFileSync('package.json', 'utf8')).version} (${version('git rev-parse --short HEAD')}).`,
  '',
  'One `wharf server`, the diabetes elastic net deployed to three local environments that differ only in',
  "`monitoring:`; wrk -t1 -c32, single-row `dataframe_split` requests to each endpoint's router in turn (order",
  "rotating each round). A ratio is the median over rounds of the configuration's throughput divided by",
  "`off`'s in the same round (the three run back to back, so a change in the machine's load hits them alike).",
  '',
  '| configuration | median requests/s | min–max | ratio to off (median of per-round ratios, min–max) | median p99 ms | requests sent | requests logged |',
  '| --- | --- | --- | --- | --- | --- | --- |',
]
for (const c of configs) {
  const rps = of(c).map((r) => r.rps)
  const p99 = of(c).map((r) => r.p99_ms)
  const n = c === 'off' ? '-' : String(logged(c))
  const paired = rows.filter((r) => r.config === c).map((r) => r.result.rps / rows.find((o) => o.config === 'off' && o.round === r.round).result.rps)
  const ratio = `${median(paired).toFixed(3)} (${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)})`
  lines.push(
    `| ${c} | ${median(rps).toFixed(0)} | ${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)} | ${ratio} | ${median(p99).toFixed(2)} | ${sent(c)} | ${n} |`,
  )
}
lines.push(
  '',
  'CPU time per request (user + system, from /proc), in the server (its router, and monitoring) and in the',
  "version's serving process; medians over rounds. CPU time depends less on other jobs' load than",
  "throughput does; the prediction log's gzip and writes run every 5 s, so a little of one window's work",
  'can fall into the next one (the order rotates).',
  '',
  '| configuration | server µs/request | ratio to off | serving process µs/request | server + serving µs/request | ratio to off |',
  '| --- | --- | --- | --- | --- | --- |',
)
const perRequest = (c, field) => median(rows.filter((r) => r.config === c && r.result.requests > 0).map((r) => (r[field] * 1e6) / r.result.requests))
const total = (c) =>
  median(rows.filter((r) => r.config === c && r.result.requests > 0).map((r) => ((r.server_cpu_s + r.serve_cpu_s) * 1e6) / r.result.requests))
for (const c of configs) {
  lines.push(
    `| ${c} | ${perRequest(c, 'server_cpu_s').toFixed(1)} | ${(perRequest(c, 'server_cpu_s') / perRequest('off', 'server_cpu_s')).toFixed(3)} | ${perRequest(c, 'serve_cpu_s').toFixed(1)} | ${total(c).toFixed(1)} | ${(total(c) / total('off')).toFixed(3)} |`,
  )
}
const ingest = readFileSync(ingestFile, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
const offTotal = total('off')
lines.push(
  '',
  "Monitoring's own work per sampled request, measured in-process by `bench/monitoring/ingest-cost.mjs` (the",
  'captured request and answer parsed, logged, gzipped and written to a local artifact store; with drift also',
  'added to the window), against the CPU time one request costs with monitoring off (server + serving, above):',
  '',
  '| configuration | CPU µs per sampled request | at 10 % sampling, µs per request | share of a request with monitoring off |',
  '| --- | --- | --- | --- |',
)
for (const r of ingest) {
  const perRequest = r.cpu_us_per_sampled_request * 0.1
  lines.push(
    `| ${r.config} (${r.sampled_requests} requests) | ${r.cpu_us_per_sampled_request.toFixed(1)} | ${perRequest.toFixed(2)} | ${((perRequest / offTotal) * 100).toFixed(2)} % |`,
  )
}
lines.push('', 'Per round (requests/s):', '', `| round | ${configs.join(' | ')} |`, `| --- |${configs.map(() => ' --- |').join('')}`)
for (let r = 1; r <= Number(rounds); r++)
  lines.push(`| ${r} | ${configs.map((c) => rows.find((x) => x.config === c && x.round === r)?.result.rps.toFixed(0) ?? '-').join(' | ')} |`)
lines.push(
  '',
  'Requests logged count the warm-up requests too (they are sampled like any other), so they are a',
  'little above 10 % of the requests sent in the measured windows.',
  '',
)
process.stdout.write(lines.join('\n'))
