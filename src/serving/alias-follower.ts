import type { Logger } from '../logger.js'
import type { RegistryClient } from './registry-client.js'

export interface AliasFollowerOptions {
  readonly client: RegistryClient
  readonly name: string
  readonly alias: string
  readonly intervalMs: number
  /** Downloads, loads, warms up and swaps in `version`; resolves once it serves. */
  readonly switchTo: (version: string) => Promise<void>
  readonly logger: Logger
}

/**
 * Follows `models:/NAME@ALIAS` by polling `GET registered-models/alias` every `intervalMs` (polling
 * rather than a registry webhook: it needs no inbound route to the server, and works the same
 * against `mlflow server`). A failed poll or load keeps the current version and tries again.
 */
export class AliasFollower {
  readonly #options: AliasFollowerOptions
  #version: string
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(options: AliasFollowerOptions, currentVersion: string) {
    this.#options = options
    this.#version = currentVersion
  }

  get version(): string {
    return this.#version
  }

  start(): void {
    this.#schedule()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  /** One poll: switches when the alias moved. Exposed for tests. */
  async poll(): Promise<void> {
    const { client, name, alias, switchTo } = this.#options
    const target = await client.versionByAlias(name, alias)
    if (target === this.#version || this.#stopped) return
    await switchTo(target)
    this.#version = target
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.poll()
        .catch((err: unknown) =>
          this.#options.logger.warn({ err, alias: this.#options.alias }, 'could not follow the alias; still serving the current version'),
        )
        .finally(() => this.#schedule())
    }, this.#options.intervalMs)
    this.#timer.unref()
  }
}
