import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

export type ContainerRuntime = 'podman' | 'docker'

/** Whether an executable is on PATH (no shell, no spawn). */
export function isOnPath(program: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/**
 * podman if installed, else docker. Here `docker` may be only a client with no engine behind it
 * (docs/containers.md), so podman wins when both are present.
 */
export function detectRuntime(preferred?: ContainerRuntime): ContainerRuntime | undefined {
  if (preferred) return isOnPath(preferred) ? preferred : undefined
  if (isOnPath('podman')) return 'podman'
  return isOnPath('docker') ? 'docker' : undefined
}

export class ContainerCommandError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message)
    this.name = 'ContainerCommandError'
  }
}

/** Runs `podman|docker ARGS`; resolves with stdout, rejects with stderr in the message. */
export function runContainerCommand(runtime: ContainerRuntime, args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(runtime, [...args], { timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null
        reject(
          new ContainerCommandError(
            `${runtime} ${args.slice(0, 2).join(' ')} failed: ${stderr.trim().split('\n').slice(-3).join(' | ') || err.message}`,
            stderr,
            code,
          ),
        )
      } else resolve(stdout)
    })
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}
