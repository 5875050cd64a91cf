import { spawn } from 'node:child_process'

export interface ShellResult {
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
  readonly lines: readonly string[]
  /** Stopped because it ran past `timeoutMs`. */
  readonly timedOut: boolean
}

export interface ProcessOptions {
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  readonly log: (line: string) => void
  readonly timeoutMs?: number | undefined
  readonly signal?: AbortSignal
}

/**
 * Runs a command line with `sh -c` (what `script:` and `run:` do in Azure Pipelines and GitHub
 * Actions), streaming stdout and stderr to `log` one whole line at a time (see runProcess).
 */
export function runShell(command: string, options: ProcessOptions): Promise<ShellResult> {
  return runProcess('sh', ['-c', command], options)
}

/**
 * Runs a program with arguments (no shell), streaming stdout and stderr to `log` one whole line at
 * a time, so a secret is never split across two log lines where masking could miss it. Kills the
 * process group on timeout or abort. The program gets `env` and nothing else: never this process's
 * own environment. Rejects when the program cannot be started (ENOENT, EACCES).
 */
export function runProcess(file: string, args: readonly string[], options: ProcessOptions): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: { ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const lines: string[] = []
    const reader = () => {
      let pending = ''
      return {
        push: (chunk: Buffer) => {
          pending += chunk.toString('utf8')
          for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
            const line = pending.slice(0, at).replace(/\r$/, '')
            pending = pending.slice(at + 1)
            lines.push(line)
            options.log(line)
          }
        },
        end: () => {
          if (pending !== '') {
            lines.push(pending)
            options.log(pending)
            pending = ''
          }
        },
      }
    }
    const stdout = reader()
    const stderr = reader()
    child.stdout.on('data', stdout.push)
    child.stderr.on('data', stderr.push)
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }
    let timedOut = false
    const timer = options.timeoutMs
      ? setTimeout(() => {
          options.log(`timed out after ${options.timeoutMs} ms; stopping the command`)
          timedOut = true
          kill()
        }, options.timeoutMs)
      : undefined
    options.signal?.addEventListener('abort', kill, { once: true })
    if (options.signal?.aborted) kill()
    child.once('error', (err) => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', kill)
      reject(err)
    })
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', kill)
      stdout.end()
      stderr.end()
      resolve({ exitCode, signal, lines, timedOut })
    })
  })
}

/** `WHARF_OUTPUT name=value` lines a command prints become the step's outputs. */
export function outputsOf(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of lines) {
    const m = /^WHARF_OUTPUT\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim())
    if (m) out[m[1]!] = m[2]!
  }
  return out
}
