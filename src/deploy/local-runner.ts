import { spawn } from 'node:child_process'
import { openSync, closeSync, writeSync, mkdirSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { RunHandle, Runner, RunSpec } from './runner.js'
import { readLogTail } from './log-file.js'

export interface LocalRunnerOptions {
  /** The serving command before its flags, e.g. [node, bin/wharf.js, 'serve']. */
  readonly command: readonly string[]
  /** Environment of the serving processes (tracking URI and token). */
  readonly env: NodeJS.ProcessEnv
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The environment variable that names a serving process's instance. A replica that dies between
 * starting a process and recording its pid leaves a row without it; the replica that takes over
 * finds the process by this name (`find`) and adopts it instead of starting a second one.
 */
export const instanceEnvironmentName = 'WHARF_DEPLOY_INSTANCE'

/**
 * Runs `wharf serve --model-uri URI --host 127.0.0.1 --port P [--grpc-port G] [--python-env DIR [--allow-pickle]]` as a detached process whose output
 * goes to the deployment's log file, so it outlives a restart of the control plane.
 */
export class LocalRunner implements Runner {
  readonly kind = 'local' as const
  readonly #options: LocalRunnerOptions

  constructor(options: LocalRunnerOptions) {
    this.#options = options
  }

  async start(spec: RunSpec): Promise<RunHandle> {
    mkdirSync(dirname(spec.logFile), { recursive: true, mode: 0o700 })
    const fd = openSync(spec.logFile, 'a', 0o600)
    const [program, ...args] = this.#options.command
    try {
      const child = spawn(
        program!,
        [
          ...args,
          '--model-uri',
          spec.modelUri,
          '--host',
          '127.0.0.1',
          '--port',
          String(spec.port),
          ...(spec.grpcPort === undefined ? [] : ['--grpc-port', String(spec.grpcPort)]),
          ...(spec.pythonEnv === undefined ? [] : ['--python-env', spec.pythonEnv]),
          ...(spec.allowPickle === true ? ['--allow-pickle'] : []),
        ],
        {
          detached: true,
          stdio: ['ignore', fd, fd],
          env: {
            ...this.#options.env,
            [instanceEnvironmentName]: spec.instanceId,
            ...(spec.apiKeysFile ? { WHARF_SERVE_API_KEYS_FILE: spec.apiKeysFile } : {}),
          },
        },
      )
      const exited = new Promise<number | null>((resolve) => {
        child.once('exit', (code) => resolve(code))
        child.once('error', () => resolve(null))
      })
      if (child.pid === undefined) throw new Error(`could not start ${program}`)
      writeSync(
        fd,
        `[wharf] ${new Date().toISOString()} started pid ${child.pid}: ${spec.modelUri} on port ${spec.port}${spec.grpcPort === undefined ? '' : `, gRPC ${spec.grpcPort}`}\n`,
      )
      child.unref()
      return { pid: child.pid, exited }
    } finally {
      closeSync(fd)
    }
  }

  /** The live process whose environment names this instance and whose flags name its port (Linux; elsewhere none is found). */
  async find(spec: RunSpec): Promise<RunHandle | undefined> {
    if (process.platform !== 'linux') return undefined
    const marker = `${instanceEnvironmentName}=${spec.instanceId}`
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      // Another user's processes are unreadable, and none of ours.
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '')
      if (!environ.split('\0').includes(marker)) continue
      const handle = { pid: Number(entry) }
      if (await this.isRunning(spec, handle)) return handle
    }
    return undefined
  }

  async isRunning(spec: RunSpec, handle: RunHandle): Promise<boolean> {
    if (handle.pid === undefined) return false
    try {
      process.kill(handle.pid, 0)
    } catch {
      return false
    }
    // A pid may have been reused after a reboot: it must be our serving process on our port.
    try {
      const stat = await readFile(`/proc/${handle.pid}/stat`, 'utf8')
      if (/\) Z /.test(stat)) return false
      const cmdline = (await readFile(`/proc/${handle.pid}/cmdline`, 'utf8')).split('\0')
      const at = cmdline.indexOf('--port')
      return at >= 0 && cmdline[at + 1] === String(spec.port)
    } catch {
      return process.platform !== 'linux'
    }
  }

  async stop(spec: RunSpec, handle: RunHandle, graceMs: number): Promise<void> {
    if (handle.pid === undefined || !(await this.isRunning(spec, handle))) return
    signal(handle.pid, 'SIGTERM')
    const deadline = Date.now() + graceMs
    while (Date.now() < deadline) {
      if (!(await this.isRunning(spec, handle))) return
      await sleep(50)
    }
    signal(handle.pid, 'SIGKILL')
  }

  readLog(spec: RunSpec, _handle: RunHandle | undefined, maxLines: number): Promise<string> {
    return readLogTail(spec.logFile, maxLines)
  }
}

/** Signals the process group (the process was started detached, as its group leader), else the process. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name)
  } catch {
    try {
      process.kill(pid, name)
    } catch {
      // already gone
    }
  }
}
