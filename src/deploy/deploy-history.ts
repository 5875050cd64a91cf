import type { DeployChange } from './entities.js'

/**
 * The versions an endpoint went live with, oldest first, replayed from its changes: a change that
 * makes another version live pushes it, a rollback pops the current one, an undeploy clears all.
 * Rolling back twice therefore goes two versions back, not back and forth.
 */
export function liveHistory(changes: readonly DeployChange[]): string[] {
  const stack: string[] = []
  for (const change of changes) {
    if (change.action === 'undeploy') stack.length = 0
    else if (change.action === 'rollback') {
      stack.pop()
      if (change.toVersion !== undefined && stack.at(-1) !== change.toVersion) stack.push(change.toVersion)
    } else if (change.toVersion !== undefined && stack.at(-1) !== change.toVersion) stack.push(change.toVersion)
  }
  return stack
}

/** The version a rollback goes to, or undefined when there is none before the current one. */
export function rollbackTarget(changes: readonly DeployChange[]): string | undefined {
  const stack = liveHistory(changes)
  return stack.length >= 2 ? stack[stack.length - 2] : undefined
}

/** When `version` last became the live version (the time of that change), if it did. */
export function liveSince(changes: readonly DeployChange[], version: string): number | undefined {
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!
    if (c.toVersion === version && c.fromVersion !== version) return c.time
  }
  return undefined
}
