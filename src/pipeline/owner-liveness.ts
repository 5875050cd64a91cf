import { hostname } from 'node:os'
import type { RunOwner } from './entities.js'

/** Alive: a heartbeat within the timeout and, on this host, a process with that pid. */
export function ownerLiveness(lockTimeoutMs: number, localHost = hostname()) {
  return (owner: RunOwner, heartbeatTime: number, now: number): boolean => {
    if (now - heartbeatTime > lockTimeoutMs) return false
    if (owner.host !== localHost) return true
    try {
      process.kill(owner.pid, 0)
      return true
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM'
    }
  }
}
