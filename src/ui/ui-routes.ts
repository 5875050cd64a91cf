import type { Context, Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { loadUiFiles, type UiFile } from './ui-files.js'

/**
 * The page may load only what the server itself sends: scripts and styles from its own files,
 * data from its own API, images from its own artifacts (as blob: URLs). No inline script or
 * style, no plugins, no framing by other sites. Artifact text is shown as text, never as HTML.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ')

/**
 * The path as a router might see it: percent-decoding undone (repeatedly, as a chain of proxies
 * might), runs of slashes collapsed, case folded. Undefined when it does not decode.
 */
function routablePath(path: string): string | undefined {
  let decoded = path
  for (let i = 0; i < 10; i++) {
    let next: string
    try {
      next = decodeURIComponent(decoded)
    } catch {
      return undefined
    }
    if (next === decoded) break
    decoded = next
  }
  return decoded.replace(/[/\\]+/g, '/').toLowerCase()
}

const isApiPath = (p: string) => /^\/(api|ajax-api)(\/|$)/.test(p)

/**
 * Requests the web UI answers: page loads and its files. They carry no token (a browser cannot
 * add one to a page load), so the guard lets them through without one; everything the page then
 * asks of the API goes under `/api/` or `/ajax-api/` and needs the token as always. A path that
 * could reach an API route in any spelling (`//api/`, `/%61pi/`) is never public.
 */
export function isUiRequest(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false
  const routable = routablePath(path)
  return routable !== undefined && !isApiPath(routable) && routable !== '/health' && routable !== '/version'
}

function respond(c: Context<AppEnv>, file: UiFile): Response {
  const headers: Record<string, string> = {
    'Content-Type': file.contentType,
    'Cache-Control': file.isImmutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ETag: file.etag,
    Vary: 'Accept-Encoding',
    'Content-Security-Policy': contentSecurityPolicy,
    'Referrer-Policy': 'no-referrer',
    // A Response built here does not carry the headers the guard set on the context.
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'SAMEORIGIN',
    'Cross-Origin-Opener-Policy': 'same-origin',
  }
  if (c.req.header('if-none-match') === file.etag) return new Response(null, { status: 304, headers })
  const isGzip = file.gzip !== undefined && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')
  const body = isGzip ? file.gzip! : file.body
  if (isGzip) headers['Content-Encoding'] = 'gzip'
  headers['Content-Length'] = String(body.length)
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { headers })
}

/**
 * Serves the single-page app built into `dir`: its files by name, and `index.html` for every other
 * page path so deep links (`/runs/<id>`) load the app, which then routes in the browser. Mount it
 * after the API routes; API paths pass through to their own 404.
 */
export function mountUi(app: Hono<AppEnv>, dir: string): void {
  let files: Promise<ReadonlyMap<string, UiFile> | undefined> | undefined
  app.get('*', async (c, next) => {
    const path = c.req.path
    if (!isUiRequest(c.req.method, path)) return next()
    files ??= loadUiFiles(dir)
    const loaded = await files
    if (loaded === undefined) {
      return c.text('The web UI is not built here: run `npm run build` (or `npm install`), then restart the server.\n', 404)
    }
    const file = loaded.get(path)
    if (file) return respond(c, file)
    // A missing asset is an error, not a page: answering it with HTML would hide the fault.
    if (path.startsWith('/assets/')) return c.text('Not found\n', 404)
    return respond(c, loaded.get('/index.html')!)
  })
}
