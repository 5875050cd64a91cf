import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { appRoot } from '../../app-paths.js'

/**
 * Real-browser tests of the web UI: Debian's Chromium driven by playwright-core (no browser
 * download). Without Chromium the tests skip on a developer machine and fail in CI (`CI` set),
 * where .ci/run installs it.
 */
export const chromiumPath = process.env.WHARF_CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Screenshots of every page, kept as test artefacts (gitignored). */
export const screenshotDir = join(appRoot, 'test-results', 'ui')

/** Why the browser tests cannot run here, or undefined when they can. Throws in CI. */
export function missingBrowser(): string | undefined {
  if (existsSync(chromiumPath)) return undefined
  const reason = `no Chromium at ${chromiumPath} (apt-get install -y chromium, or set WHARF_CHROMIUM_PATH)`
  if (process.env.CI) throw new Error(`browser tests must run in CI: ${reason}`)
  return reason
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
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
}

/**
 * A page that records every console error and uncaught exception. A test fails on any of them
 * unless it declared the error beforehand with `expectConsoleError` (the browser logs an HTTP 400
 * it was meant to get, such as a bad filter, as a console error).
 */
export class WatchedPage {
  readonly errors: string[] = []
  readonly #expected: RegExp[] = []
  readonly #allowed: RegExp[] = []

  constructor(readonly page: Page) {
    page.on('console', (m) => {
      if (m.type() !== 'error') return
      const text = `${m.text()} ${m.location().url ?? ''}`
      const i = this.#expected.findIndex((re) => re.test(text))
      if (i >= 0) this.#expected.splice(i, 1)
      else if (!this.#allowed.some((re) => re.test(text))) this.errors.push(text)
    })
    page.on('pageerror', (e) => this.errors.push(`uncaught: ${e.message}`))
  }

  /** The next console error matching `pattern` is expected (once). */
  expectConsoleError(pattern: RegExp): void {
    this.#expected.push(pattern)
  }

  /** Every console error matching `pattern` is expected (a server that asks for a token answers 401). */
  allowConsoleErrors(pattern: RegExp): void {
    this.#allowed.push(pattern)
  }

  assertNoConsoleErrors(): void {
    if (this.errors.length > 0) throw new Error(`console errors in the page:\n${this.errors.join('\n')}`)
  }

  async screenshot(name: string): Promise<void> {
    await mkdir(screenshotDir, { recursive: true })
    await this.page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false })
  }
}

export async function openPage(browser: Browser, options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
  })
  return new WatchedPage(await context.newPage())
}

/** JSON from the server's REST API (the same the UI and the CLI use). */
export async function api(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`${base}/api/2.0/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  const json = text ? JSON.parse(text) : {}
  if (!res.ok) throw Object.assign(new Error(`${method} ${path}: ${res.status} ${text}`), { status: res.status, body: json })
  return json
}
