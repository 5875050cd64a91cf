import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { instanceEnvironmentName } from '../deploy/local-runner.js'

/**
 * What every test file shares: a bounded wait on a condition (never a fixed sleep), a free port,
 * and temporary folders that are removed when the test process exits, passed or failed.
 * Test-only: production code never imports this module.
 */
export { findFreePort as freePort } from '../http/free-port.js'

/**
 * Polls `probe` until it returns a value other than undefined or false, and resolves with it;
 * rejects with `what` once `timeoutMs` has passed. A probe that throws has not succeeded yet (a
 * server still starting); its last error is named in the rejection.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : `; last error: ${(lastError as Error).message}`}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

const made: string[] = []

/** A new empty folder `wharf-<name>-XXXXXX` in the system temp dir, removed when the process exits. */
export async function tempDir(name: string): Promise<string> {
  if (made.length === 0) process.once('exit', removeTempDirs)
  const dir = await mkdtemp(join(tmpdir(), `wharf-${name}-`))
  made.push(dir)
  return dir
}

function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** Whether a process with this pid is alive (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * The serving processes a test's servers started, and the instance each says it is: `--model-uri`
 * processes whose environment names a deployment folder under `dir` (the runner passes the server's
 * on), whether or not a server still lists them (a server stopped before its undeploy, a replica
 * killed before it wrote the process down). The servers have that folder in their environment too.
 */
export async function servingProcesses(dir: string): Promise<{ pid: number; instanceId: string | undefined }[]> {
  const found: { pid: number; instanceId: string | undefined }[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    const environ = (await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '')).split('\0')
    if (!environ.some((v) => v.startsWith(`WHARF_DEPLOY_DIR=${dir}/`))) continue
    if (!(await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').includes('--model-uri')) continue
    const marker = environ.find((v) => v.startsWith(`${instanceEnvironmentName}=`))
    found.push({ pid: Number(entry), instanceId: marker?.slice(instanceEnvironmentName.length + 1) })
  }
  return found
}

/** The pids of `servingProcesses(dir)`. */
export async function servingPids(dir: string): Promise<number[]> {
  return (await servingProcesses(dir)).map((p) => p.pid)
}

/**
 * Checks an error answer of the tracking API: its status, its MLflow `error_code`, a message, and
 * no stack trace. `answer.body` is the parsed JSON body.
 */
export function assertErrorAnswer(answer: { readonly status: number; readonly body: any }, status: number, errorCode: string, note?: string): void {
  const what = `${note ? `${note}: ` : ''}${answer.status} ${JSON.stringify(answer.body)}`
  assert.equal(answer.status, status, what)
  assert.equal(answer.body?.error_code, errorCode, what)
  assert.equal(typeof answer.body?.message, 'string', what)
  assert.doesNotMatch(answer.body.message, /\n\s+at /, `a stack trace in ${what}`)
}
