import { spawn } from 'node:child_process'

export interface ShellResult {
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
  readonly lines: readonly string[]
}

/**
 * Runs a command line with `sh -c` (what `script:` and `run:` do in Azure Pipelines and GitHub
 * Actions), streaming stdout and stderr to `log` one whole line at a time, so a secret is never
 * split across two log lines where masking could miss it. Kills the process group on timeout or abort.
 * The command gets `env` and nothing else: never this process's own environment.
 */
export function runShell(
  command: string,
  options: { cwd: string; env: Readonly<Record<string, string>>; log: (line: string) => void; timeoutMs?: number | undefined; signal?: AbortSignal },
): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: options.cwd, env: { ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
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
    const timer = options.timeoutMs
      ? setTimeout(() => {
          options.log(`timed out after ${options.timeoutMs} ms; stopping the command`)
          kill()
        }, options.timeoutMs)
      : undefined
    options.signal?.addEventListener('abort', kill, { once: true })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', kill)
      stdout.end()
      stderr.end()
      resolve({ exitCode, signal, lines })
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
