import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogger } from '../logger.js'
import { runTrain } from '../train/index.js'
import { startServing, type RunningServing, type ServeOptions } from './serve-model.js'
import { tempDir } from '../testing/fixtures.js'

/** Shared by the serving tests (not a test file itself): trained models, a server, an HTTP helper. */
export const dataDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data')
export const diabetesColumns = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'] as const

/** Trains an elastic net on data/diabetes.csv into a fresh model directory. */
export async function trainDiabetes(params: readonly string[] = [], model = 'elasticnet'): Promise<string> {
  const out = join(await tempDir('serve-model'), 'model')
  await runTrain({ data: join(dataDir, 'diabetes.csv'), target: 'progression', model, param: [...params], output: out, log: () => {} })
  return out
}

/** A few plausible feature rows (values in the data's range), deterministic. */
export function diabetesRows(n: number, seed = 1): number[][] {
  let s = seed
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return (s / 2147483648 - 0.5) * 0.2
  }
  return Array.from({ length: n }, () => diabetesColumns.map(() => Number(next().toFixed(6))))
}

export async function serveDir(dir: string, extra: Partial<ServeOptions> = {}): Promise<RunningServing> {
  return startServing({
    modelUri: dir,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024 * 1024,
    pollIntervalMs: 100,
    cacheDir: join(tmpdir(), 'wharf-serve-cache'),
    trackingUri: undefined,
    token: undefined,
    logger: createLogger('test', { level: 'silent' }),
    ...extra,
  })
}

export interface HttpAnswer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  json(): any
}

export async function request(
  url: string,
  init: { method?: string; body?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...(init.contentType ? { 'content-type': init.contentType } : {}), ...init.headers }
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) }
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  request(url, { body: typeof body === 'string' ? body : JSON.stringify(body), contentType: 'application/json', headers })

export interface RegistryFixture {
  readonly server: import('../integration/server-process.js').RunningServer
  readonly cacheDir: string
  /** Local copies of each registered version (index 0 is version 1), for expected predictions. */
  readonly versionDirs: readonly string[]
  readonly runIds: readonly string[]
  setAlias(alias: string, version: string): Promise<void>
  close(): Promise<void>
}

/**
 * A real `wharf server` with model 'diabetes' registered twice by `wharf train` (elastic nets with
 * different alpha, so their predictions differ).
 */
export async function registryWithTwoVersions(): Promise<RegistryFixture> {
  const { startServer, postJson: postApi } = await import('../integration/server-process.js')
  const { rm } = await import('node:fs/promises')
  const root = await tempDir('serve-registry')
  const server = await startServer(['--backend-store-uri', `sqlite:///${root}/wharf.db`, '--artifacts-destination', join(root, 'artifacts')])
  const versionDirs: string[] = []
  const runIds: string[] = []
  for (const alpha of ['0.01', '1']) {
    const out = join(root, `v${versionDirs.length + 1}`)
    const result = await runTrain({
      data: join(dataDir, 'diabetes.csv'),
      target: 'progression',
      model: 'elasticnet',
      param: [`alpha=${alpha}`],
      output: out,
      register: 'diabetes',
      trackingUri: server.url,
      log: () => {},
    })
    versionDirs.push(out)
    runIds.push(result.runId!)
  }
  return {
    server,
    versionDirs,
    runIds,
    cacheDir: join(root, 'cache'),
    setAlias: async (alias, version) => {
      const res = await postApi(server.url, 'registered-models/alias', { name: 'diabetes', alias, version })
      if (res.status !== 200) throw new Error(`setting the alias failed: ${JSON.stringify(res.body)}`)
    },
    close: async () => {
      await server.stop()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** Starts a real `wharf serve` process and waits for its ready line. */
export async function startServeProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; process: import('node:child_process').ChildProcess; stderr(): string; stop(): Promise<number | null> }> {
  const { spawn } = await import('node:child_process')
  const bin = fileURLToPath(new URL('../../bin/wharf.js', import.meta.url))
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => reject(new Error(`wharf serve did not start in 30 s: ${stderr}`)), 30_000)
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
      const match = / at (http:\/\/\S+)/.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`wharf serve exited with ${code}: ${stderr}`))
    })
  })
  return {
    url,
    process: child,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode)
        child.once('exit', (code) => resolve(code))
        child.kill('SIGTERM')
      }),
  }
}
