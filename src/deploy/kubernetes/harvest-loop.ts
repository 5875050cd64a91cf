import type { Logger } from '../../logger.js'

export interface HarvestLoopOptions {
  /** The endpoints to harvest now (Kubernetes endpoints whose environment monitors). */
  readonly endpoints: () => Promise<readonly { readonly environment: string; readonly modelName: string }[]>
  readonly harvest: (environment: string, modelName: string) => Promise<void>
  readonly intervalMs: number
  readonly logger?: Logger | undefined
}

/**
 * Harvests the routers' logs of monitored Kubernetes endpoints every interval, so their sampled
 * predictions reach the prediction log, the drift windows, the gauges and the alerts without anyone
 * asking (a local endpoint's router hands them over as they come). One round at a time; a failure is
 * logged once per endpoint until it harvests again.
 */
export class HarvestLoop {
  readonly #o: HarvestLoopOptions
  readonly #failing = new Map<string, string>()
  #timer: NodeJS.Timeout | undefined
  #round: Promise<void> = Promise.resolve()
  #isStopped = false

  constructor(options: HarvestLoopOptions) {
    this.#o = options
  }

  start(): void {
    this.#schedule()
  }

  async stop(): Promise<void> {
    this.#isStopped = true
    clearTimeout(this.#timer)
    await this.#round
  }

  #schedule(): void {
    if (this.#isStopped) return
    this.#timer = setTimeout(() => {
      this.#round = this.#harvestAll().finally(() => this.#schedule())
    }, this.#o.intervalMs)
    this.#timer.unref()
  }

  async #harvestAll(): Promise<void> {
    let endpoints: Awaited<ReturnType<HarvestLoopOptions['endpoints']>>
    try {
      endpoints = await this.#o.endpoints()
    } catch (err) {
      this.#o.logger?.warn({ err }, 'could not list the monitored Kubernetes endpoints')
      return
    }
    for (const { environment, modelName } of endpoints) {
      if (this.#isStopped) return
      const key = `${environment}/${modelName}`
      try {
        await this.#o.harvest(environment, modelName)
        this.#failing.delete(key)
      } catch (err) {
        const message = (err as Error).message
        if (this.#failing.get(key) !== message) this.#o.logger?.warn({ err, environment, model: modelName }, 'could not harvest the router logs')
        this.#failing.set(key, message)
      }
    }
  }
}
