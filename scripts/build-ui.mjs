// Builds the web UI (ui/) into dist/ui-app/, which `wharf server` serves at / (src/ui/).
// esbuild bundles the TypeScript/TSX and CSS into content-hashed files; index.html is written to
// load them. The whole UI must stay within 250 KB gzipped: the build prints the sizes and fails
// past the budget (src/ui/ui-build.test.ts checks the same on the built files).
import { build } from 'esbuild'
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const out = 'dist/ui-app'
const budgetBytes = 250 * 1024

await rm(out, { recursive: true, force: true })
await mkdir(join(out, 'assets'), { recursive: true })
const result = await build({
  entryPoints: { app: 'ui/src/main.tsx' },
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'eof',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
})
for (const name of await readdir('ui/public')) await copyFile(join('ui/public', name), join(out, 'assets', name))

const outputs = Object.keys(result.metafile.outputs).map((p) => p.slice(out.length))
const script = outputs.find((p) => p.endsWith('.js'))
const style = outputs.find((p) => p.endsWith('.css'))
const tags = [style && `<link rel="stylesheet" href="${style}">`, `<script type="module" src="${script}"></script>`].filter(Boolean).join('\n    ')
const html = (await readFile('ui/index.html', 'utf8')).replace('<!-- assets -->', tags)
await writeFile(join(out, 'index.html'), html)

let total = 0
const rows = []
for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.map')) continue
  const gz = gzipSync(await readFile(join(entry.parentPath, entry.name)), { level: 9 }).length
  total += gz
  rows.push(`${(gz / 1024).toFixed(1).padStart(7)} KB  ${join(entry.parentPath, entry.name)}`)
}
console.log(`web UI: ${(total / 1024).toFixed(1)} KB gzipped (budget ${budgetBytes / 1024} KB)\n${rows.join('\n')}`)
if (total > budgetBytes) {
  console.error(`the web UI is over its size budget: ${total} > ${budgetBytes} bytes gzipped`)
  process.exit(1)
}
