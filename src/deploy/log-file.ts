import { appendFile, type FileHandle, mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'

/** The last `maxLines` lines of a log file (reads at most the last 256 KiB); '' if it does not exist. */
export async function readLogTail(path: string, maxLines: number): Promise<string> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch {
    return ''
  }
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, 256 * 1024)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const lines = buffer.toString('utf8').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return lines.slice(-maxLines).join('\n')
  } finally {
    await handle.close()
  }
}

/** Appends one supervisor line to a deployment's log. */
export async function appendLogLine(path: string, line: string): Promise<void> {
  // Deployment logs are private to the server's user, as its other data files are.
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await appendFile(path, `[wharf] ${new Date().toISOString()} ${line}\n`, { mode: 0o600 })
}
