import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, it } from 'node:test'
import { uiAppDir } from '../app-paths.js'

const budgetBytes = 250 * 1024

/** The web UI as `npm run build` leaves it in dist/ui-app (npm test builds first). */
describe('the built web UI', () => {
  it('stays within 250 KB gzipped, everything the browser loads counted', async () => {
    let total = 0
    for (const entry of await readdir(uiAppDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name.endsWith('.map')) continue
      total += gzipSync(await readFile(join(entry.parentPath, entry.name)), { level: 9 }).length
    }
    assert.ok(total > 10 * 1024, `${total} bytes: is the UI built at all?`)
    assert.ok(total <= budgetBytes, `${total} bytes gzipped, budget ${budgetBytes}`)
  })

  it('loads only its own hashed files, with no inline script or style for the CSP to refuse', async () => {
    const html = await readFile(join(uiAppDir, 'index.html'), 'utf8')
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    assert.ok(
      refs.some((r) => /^\/assets\/app-[A-Z0-9]+\.js$/.test(r)),
      refs.join(' '),
    )
    assert.ok(
      refs.some((r) => /^\/assets\/app-[A-Z0-9]+\.css$/.test(r)),
      refs.join(' '),
    )
    for (const ref of refs) await readFile(join(uiAppDir, ref)) // each exists
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
    assert.doesNotMatch(html, /<style|style="/, 'no inline style')
  })
})
