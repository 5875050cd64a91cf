import { type ChildProcess, spawn } from 'node:child_process'
import { wharfBin } from '../app-paths.js'

export interface RunningServer {
  readonly url: string
  readonly process: ChildProcess
  /** Everything the server wrote to stderr so far, for failure messages. */
  stderr(): string
  /** Everything it wrote to stdout so far: its start line and its (pino) log. */
  stdout(): string
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Starts a real `wharf server` on a free loopback port and waits until it says where it listens. */
export async function startServer(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const child = spawn(process.execPath, [wharfBin, 'server', '--port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s: ${stderr}`)), 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const match = /tracking server at (http:\/\/\S+)/.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before listening: ${stderr}`))
    })
  })
  return {
    url,
    process: child,
    stderr: () => stderr,
    stdout: () => stdout,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill(signal)
      }),
  }
}

/** POSTs JSON to an MLflow API path and returns status and parsed body. */
export async function postJson(base: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : {} }
}

export async function getJson(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/2.0/mlflow/${path}`)
  return { status: res.status, body: await res.json() }
}
