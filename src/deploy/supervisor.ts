import { EXIT_MODEL_REFUSED } from '../models/model-error.js'
import { probeReady } from './health-probe.js'
import { appendLogLine } from './log-file.js'
import type { RunHandle, Runner, RunSpec } from './runner.js'

export type InstanceHealth = 'starting' | 'ready' | 'unhealthy' | 'restarting' | 'stopped'

export interface SupervisorOptions {
  readonly healthIntervalMs?: number
  /** How long a fresh start may take to become ready before it is restarted. */
  readonly startTimeoutMs?: number
  /** A ready instance failing its probe this long while running is restarted (hung). */
  readonly hungAfterMs?: number
  readonly backoffBaseMs?: number
  readonly backoffMaxMs?: number
  /** Called with each new handle, to persist its pid or container name. */
  readonly onHandle?: (handle: RunHandle) => void | Promise<void>
  /** Restarts and the like, for the log; `detail` uses the log's snake_case field names. */
  readonly onEvent?: (event: string, detail: Record<string, unknown>) => void
}

export interface SupervisorStatus {
  readonly health: InstanceHealth
  readonly restarts: number
  readonly readySince?: number | undefined
  readonly lastRestartTime?: number | undefined
  readonly pid?: number | undefined
  readonly containerName?: string | undefined
}

/**
 * Keeps one serving instance alive: probes readiness, restarts it with exponential backoff when it
 * dies or hangs (100 ms, 200 ms, ... up to 10 s; back to 100 ms after 10 s healthy), and logs each
 * event to the deployment's log file.
 */
export class Supervisor {
  readonly spec: RunSpec
  readonly #runner: Runner
  readonly #options: Required<Omit<SupervisorOptions, 'onHandle' | 'onEvent'>> & SupervisorOptions
  #handle: RunHandle | undefined
  #health: InstanceHealth = 'starting'
  #restarts = 0
  #backoffStep = 0
  #startedAt = Date.now()
  #readySince: number | undefined
  #lastRestartTime: number | undefined
  #failingSince: number | undefined
  #timer: NodeJS.Timeout | undefined
  #isActive = false
  #isRestarting = false
  #waiters: { resolve: () => void; reject: (err: Error) => void }[] = []
  /** Set when the instance refused its model (see #refuse). */
  #refusal: Error | undefined

  constructor(spec: RunSpec, runner: Runner, options: SupervisorOptions = {}) {
    this.spec = spec
    this.#runner = runner
    this.#options = { healthIntervalMs: 250, startTimeoutMs: 60_000, hungAfterMs: 5_000, backoffBaseMs: 100, backoffMaxMs: 10_000, ...options }
  }

  status(): SupervisorStatus {
    return {
      health: this.#health,
      restarts: this.#restarts,
      readySince: this.#readySince,
      lastRestartTime: this.#lastRestartTime,
      pid: this.#handle?.pid,
      containerName: this.#handle?.containerName,
    }
  }

  /**
   * Adopts `existing` if it still runs (after a control-plane restart), else the instance the runner
   * finds started for this spec but never recorded (its starter died in between), else starts a new
   * one. `existing` is the recorded handle, given (maybe empty) for an instance recorded before.
   */
  async start(existing?: RunHandle): Promise<'adopted' | 'started'> {
    this.#isActive = true
    let outcome: 'adopted' | 'started' = 'started'
    const isExistingRunning = existing !== undefined && (await this.#runner.isRunning(this.spec, existing))
    // Only an instance recorded before (a restore) can have been started by someone else.
    const adopted = isExistingRunning || existing === undefined ? existing : await this.#runner.find?.(this.spec)
    if (adopted !== undefined) {
      this.#handle = adopted
      outcome = 'adopted'
      // Found by the runner, not recorded: written down now.
      if (adopted !== existing) await this.#options.onHandle?.(adopted)
      await appendLogLine(
        this.spec.logFile,
        `adopted running instance ${adopted.pid ?? adopted.containerName}${adopted === existing ? '' : ' (started, never recorded)'}`,
      )
    } else {
      if (existing) await this.#runner.stop(this.spec, existing, 1000).catch(() => {})
      await this.#launch()
    }
    this.#startedAt = Date.now()
    this.#schedule(0)
    return outcome
  }

  /** Resolves once the instance answers its readiness probe; rejects after `timeoutMs` with its log tail. */
  async waitReady(timeoutMs: number): Promise<void> {
    if (this.#health === 'ready') return
    if (this.#refusal !== undefined) throw this.#refusal
    let timer: NodeJS.Timeout | undefined
    const waiter = { resolve: () => {}, reject: (_err: Error) => {} }
    try {
      await new Promise<void>((resolve, reject) => {
        waiter.resolve = resolve
        waiter.reject = reject
        this.#waiters.push(waiter)
        timer = setTimeout(async () => {
          const tail = await this.#runner.readLog(this.spec, this.#handle, 20).catch(() => '')
          reject(new Error(`${this.spec.modelUri} was not ready on port ${this.spec.port} within ${timeoutMs} ms; last log lines:\n${tail}`))
        }, timeoutMs)
      })
    } finally {
      clearTimeout(timer)
      this.#waiters = this.#waiters.filter((w) => w !== waiter)
    }
  }

  /** Stops supervising and stops the instance. */
  async stop(graceMs = 10_000): Promise<void> {
    this.detach()
    this.#health = 'stopped'
    if (this.#handle) await this.#runner.stop(this.spec, this.#handle, graceMs)
    await appendLogLine(this.spec.logFile, 'stopped').catch(() => {})
  }

  /** Stops supervising and leaves the instance running (for a control-plane shutdown). */
  detach(): void {
    this.#isActive = false
    clearTimeout(this.#timer)
  }

  async #launch(starting: Promise<RunHandle> = this.#runner.start(this.spec)): Promise<void> {
    this.#handle = await starting
    this.#health = 'starting'
    this.#readySince = undefined
    this.#failingSince = undefined
    this.#startedAt = Date.now()
    await this.#options.onHandle?.(this.#handle)
    const handle = this.#handle
    void handle.exited?.then((code) => {
      if (!this.#isActive || this.#handle !== handle) return
      // `wharf serve` refused the model itself (EXIT_MODEL_REFUSED): starting it again cannot help.
      if (code === EXIT_MODEL_REFUSED && this.#health !== 'ready') return this.#refuse()
      void this.#restart('exited')
    })
  }

  /** The instance refused its model: no restarts, and whoever waits for it gets the instance's own words. */
  async #refuse(): Promise<void> {
    this.#isActive = false
    clearTimeout(this.#timer)
    this.#health = 'stopped'
    await appendLogLine(this.spec.logFile, 'the serving process refused the model; not restarting').catch(() => {})
    const tail = await this.#runner.readLog(this.spec, this.#handle, 20).catch(() => '')
    const err = new Error(
      `${this.spec.modelUri} was refused by its serving process (a model without an onnx flavor needs the environment's pythonEnv in wharf.yaml, and allowPickle: true if it is stored as a pickle); last log lines:\n${tail}`,
    )
    this.#refusal = err
    for (const w of this.#waiters) w.reject(err)
  }

  #schedule(delayMs: number): void {
    if (!this.#isActive) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#tick(), delayMs)
    this.#timer.unref()
  }

  async #tick(): Promise<void> {
    if (!this.#isActive || this.#isRestarting) return
    const isReady = await probeReady(this.spec.port, 1000)
    if (!this.#isActive || this.#isRestarting) return
    const now = Date.now()
    if (isReady) {
      if (this.#health !== 'ready') this.#readySince = now
      this.#health = 'ready'
      this.#failingSince = undefined
      if (now - (this.#readySince ?? now) > 10_000) this.#backoffStep = 0
      for (const w of this.#waiters) w.resolve()
    } else {
      const isRunning = this.#handle !== undefined && (await this.#runner.isRunning(this.spec, this.#handle))
      this.#failingSince ??= now
      if (!isRunning) return this.#restart('not running')
      if (this.#health === 'ready' || this.#health === 'unhealthy') {
        this.#health = 'unhealthy'
        if (now - this.#failingSince > this.#options.hungAfterMs) return this.#restart('not answering its readiness probe')
      } else if (now - this.#startedAt > this.#options.startTimeoutMs) {
        return this.#restart(`not ready ${this.#options.startTimeoutMs} ms after start`)
      }
    }
    this.#schedule(this.#options.healthIntervalMs)
  }

  async #restart(reason: string): Promise<void> {
    if (!this.#isActive || this.#isRestarting) return
    this.#isRestarting = true
    clearTimeout(this.#timer)
    this.#health = 'restarting'
    const delayMs = Math.min(this.#options.backoffMaxMs, this.#options.backoffBaseMs * 2 ** this.#backoffStep)
    this.#backoffStep++
    this.#options.onEvent?.('restart', { instance_id: this.spec.instanceId, reason, delay_ms: delayMs })
    await appendLogLine(this.spec.logFile, `${reason}; restarting in ${delayMs} ms`).catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, delayMs))
    try {
      if (!this.#isActive) return
      if (this.#handle && this.#runner.restart) await this.#launch(this.#runner.restart(this.spec, this.#handle))
      else {
        if (this.#handle) await this.#runner.stop(this.spec, this.#handle, 1000).catch(() => {})
        if (!this.#isActive) return
        await this.#launch()
      }
      this.#restarts++
      this.#lastRestartTime = Date.now()
    } catch (err) {
      await appendLogLine(this.spec.logFile, `restart failed: ${(err as Error).message}`).catch(() => {})
    } finally {
      this.#isRestarting = false
    }
    this.#schedule(this.#health === 'restarting' ? 0 : this.#options.healthIntervalMs)
  }
}
