import type { Predictor } from './predictor.js'

/** One loaded model version and the requests currently using it. */
export interface ModelEntry {
  readonly predictor: Predictor
  /** The registered version ("3"), or undefined for a local directory or a run's model. */
  readonly version: string | undefined
  /** What was resolved: the URI or directory, for logs and metadata. */
  readonly source: string
  inflight: number
  retired: boolean
}

/**
 * Holds the model being served. A request takes `current` once, at its start, and keeps that entry
 * to the end (validation, prediction, version header): a hot swap is one reference assignment
 * between requests, so no request mixes versions. The old entry is closed when its last request ends.
 */
export class ModelSlot {
  #current: ModelEntry | undefined
  readonly name: string

  constructor(name: string) {
    this.name = name
  }

  get current(): ModelEntry | undefined {
    return this.#current
  }

  get isReady(): boolean {
    return this.#current?.predictor.isReady === true
  }

  /** Serves `predictor` from the next request on; the previous entry is released when idle. */
  swap(predictor: Predictor, version: string | undefined, source: string): ModelEntry {
    const entry: ModelEntry = { predictor, version, source, inflight: 0, retired: false }
    const old = this.#current
    this.#current = entry
    if (old !== undefined) {
      old.retired = true
      if (old.inflight === 0) void old.predictor.close()
    }
    return entry
  }

  acquire(): ModelEntry | undefined {
    const entry = this.#current
    if (entry !== undefined) entry.inflight++
    return entry
  }

  release(entry: ModelEntry): void {
    if (--entry.inflight === 0 && entry.retired) void entry.predictor.close()
  }

  async close(): Promise<void> {
    const entry = this.#current
    this.#current = undefined
    if (entry !== undefined) {
      entry.retired = true
      if (entry.inflight === 0) await entry.predictor.close()
    }
  }
}
