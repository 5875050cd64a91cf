/**
 * Locks by name around work that must not run twice at once: a Kubernetes rollout of one endpoint,
 * which any replica may drive. Every store offers them, so callers need not know how many
 * processes share the database.
 */
export interface NamedLocks {
  /** Runs `work` holding the lock `name`; another call for the same name, in this process or another, waits until it ends. */
  withLock<T>(name: string, work: () => Promise<T>): Promise<T>
}

/**
 * Locks inside one process: one queue per name. This is all a store one process owns (SQLite)
 * needs, and the first stage of the PostgreSQL locks, so a process holds at most one database
 * connection per name.
 */
export class ProcessLocks implements NamedLocks {
  readonly #queues = new Map<string, Promise<unknown>>()

  withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(name) ?? Promise.resolve()
    const next = previous.then(work, work)
    const settled = next.catch(() => {})
    this.#queues.set(name, settled)
    // Forget the name once nothing waits behind this call, so the map holds only busy names.
    void settled.then(() => {
      if (this.#queues.get(name) === settled) this.#queues.delete(name)
    })
    return next
  }
}
