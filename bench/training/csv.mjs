// Writes a benchmark problem (train rows then test rows) as one CSV for the end-to-end `wharf train`
// timing: node bench/training/csv.mjs DATA_DIR PROBLEM OUT.csv [DIGITS]
// Values are written with DIGITS significant digits (default 17: the exact float64), columns x1..x20,y.
import { createWriteStream, readFileSync } from 'node:fs'
import { join } from 'node:path'

const [dataDir, problem, out, digitsArg] = process.argv.slice(2)
const digits = Number(digitsArg ?? 17)
const dir = join(dataDir, problem)
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'))
const f64 = (name) => {
  const b = readFileSync(join(dir, name))
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}
const fmt = digits >= 17 ? (v) => String(v) : (v) => String(Number(v.toPrecision(digits)))
const stream = createWriteStream(out)
const write = (s) => new Promise((resolve) => (stream.write(s) ? resolve() : stream.once('drain', resolve)))
await write(`${[...Array.from({ length: meta.features }, (_, j) => `x${j + 1}`), 'y'].join(',')}\n`)
for (const part of ['train', 'test']) {
  const n = meta[`${part}_rows`]
  const X = f64(`X_${part}.f64`)
  const y = f64(`y_${part}.f64`)
  for (let start = 0; start < n; start += 10_000) {
    let chunk = ''
    for (let i = start; i < Math.min(n, start + 10_000); i++) {
      let line = ''
      for (let j = 0; j < meta.features; j++) line += `${fmt(X[j * n + i])},`
      chunk += `${line + fmt(y[i])}\n`
    }
    await write(chunk)
  }
}
await new Promise((resolve) => stream.end(resolve))
