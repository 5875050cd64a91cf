import { spawn } from 'node:child_process'
import type { Logger } from '../logger.js'
import { wharfBin } from '../app-paths.js'
import { MlflowError, invalidParameter } from '../errors.js'
import { isValidSignature } from '../registry/index.js'
import type { PipelineStore } from '../store/pipeline-store.js'
import type { PipelineCatalog } from './pipeline-catalog.js'
import type { PipelineDef } from './pipeline-file.js'

/** Deliveries older than this are refused, so a captured one cannot be replayed later. */
const maxSkewMs = 5 * 60_000

export interface TriggerOptions {
  readonly store: PipelineStore
  /** The HMAC secret the registry webhook was created with (WHARF_PIPELINE_WEBHOOK_SECRET). */
  readonly secret: string | undefined
  /** The pipelines the operator configured; a delivery can only start one of these. */
  readonly catalog: PipelineCatalog
  /** The server's own URL, handed to the runner it starts. */
  readonly trackingUri: () => string
  readonly token: string | undefined
  /**
   * What the runner gets of the server's environment: the inherited basics (step-environment.ts)
   * and the variables the pipeline's secrets are read from. Never the rest of it.
   */
  readonly runnerEnvironment: (pipeline: PipelineDef) => Readonly<Record<string, string>>
  readonly logger?: Logger | undefined
  readonly now?: () => number
  /** Starts a runner; by default a detached `wharf pipeline run` process. */
  readonly startRunner?: (args: readonly string[], env: Record<string, string>) => void
}

export interface Delivery {
  readonly method: string
  /** The request target as received (raw path and query): the signature covers it. */
  readonly target: string
  readonly body: string
  readonly timestamp: string | undefined
  readonly signature: string | undefined
  readonly pipeline: string | undefined
  readonly stages: string | undefined
}

export interface TriggerResult {
  readonly accepted: boolean
  readonly pipeline: string
  readonly run_key?: string
  readonly stages?: readonly string[]
  readonly reason?: string
}

/**
 * The webhook receiver that starts pipeline runs: checks the registry's signature
 * (`X-Wharf-Signature`, see registry/webhook-signature.ts), picks the stages (from the URL's
 * `stages=` or the wharf.yaml trigger that matches the event), and starts `wharf pipeline run`
 * with the delivery id as its run key, so a redelivered event never starts a second run. While
 * the pipeline runs, it answers 503 and the registry retries later: deliveries queue, never interleave.
 */
export class PipelineTrigger {
  readonly #options: TriggerOptions

  constructor(options: TriggerOptions) {
    this.#options = options
  }

  /** PERMISSION_DENIED when no secret is set: then no delivery can be checked, so none is read. */
  assertEnabled(): void {
    this.#secret()
  }

  #secret(): string {
    if (this.#options.secret === undefined)
      throw new MlflowError('PERMISSION_DENIED', 'pipeline triggers are off: start the server with WHARF_PIPELINE_WEBHOOK_SECRET set')
    return this.#options.secret
  }

  async handle(d: Delivery): Promise<TriggerResult> {
    const secret = this.#secret()
    const now = (this.#options.now ?? Date.now)()
    if (d.timestamp === undefined || !/^\d{1,12}$/.test(d.timestamp) || Math.abs(now - Number(d.timestamp) * 1000) > maxSkewMs) {
      throw new MlflowError('UNAUTHENTICATED', 'missing or stale X-Wharf-Timestamp')
    }
    if (!isValidSignature(secret, { timestamp: d.timestamp, method: d.method, target: d.target, body: d.body }, d.signature))
      throw new MlflowError('UNAUTHENTICATED', 'bad X-Wharf-Signature')
    if (!d.pipeline) throw invalidParameter('name the pipeline in the webhook URL: ...?pipeline=NAME')
    let event: { delivery_id?: unknown; event?: unknown; model?: unknown; version?: unknown; alias?: unknown }
    try {
      event = JSON.parse(d.body) as typeof event
    } catch {
      throw invalidParameter('the delivery body is not JSON')
    }
    const deliveryId = typeof event.delivery_id === 'string' ? event.delivery_id : undefined
    if (!deliveryId) throw invalidParameter('the delivery has no delivery_id')
    const pipeline = await this.#options.catalog.find(d.pipeline)
    const stages = this.#stagesFor(pipeline, d.stages, String(event.event ?? ''), typeof event.model === 'string' ? event.model : undefined)
    if (!stages)
      return {
        accepted: false,
        pipeline: pipeline.name,
        reason: `no trigger of pipeline '${pipeline.name}' matches ${String(event.event)} on '${String(event.model)}'`,
      }
    const runKey = `webhook-${deliveryId}`
    if (await this.#options.store.findRunByKey(pipeline.name, runKey))
      return { accepted: true, pipeline: pipeline.name, run_key: runKey, stages, reason: 'already started for this delivery' }
    const holder = await this.#options.store.lockHolder(pipeline.name, now)
    if (holder) throw new MlflowError('TEMPORARILY_UNAVAILABLE', `pipeline '${pipeline.name}' is running (run ${holder}); deliver again later`)
    const trigger = { kind: 'webhook', delivery_id: deliveryId, event: event.event, model_name: event.model, version: event.version, alias: event.alias }
    const args = ['pipeline', 'run', pipeline.file, '--run-key', runKey, '--trigger', JSON.stringify(trigger), ...stages.flatMap((s) => ['--stage', s])]
    const env: Record<string, string> = {
      ...this.#options.runnerEnvironment(pipeline),
      WHARF_TRACKING_URI: this.#options.trackingUri(),
      ...(this.#options.token ? { WHARF_TRACKING_TOKEN: this.#options.token } : {}),
    }
    ;(this.#options.startRunner ?? startDetached)(args, env)
    this.#options.logger?.info({ pipeline: pipeline.name, stages, run_key: runKey }, 'pipeline run started by webhook')
    return { accepted: true, pipeline: pipeline.name, run_key: runKey, stages }
  }

  #stagesFor(pipeline: PipelineDef, fromUrl: string | undefined, event: string, model: string | undefined): readonly string[] | undefined {
    if (fromUrl) {
      const stages = fromUrl
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
      for (const s of stages) if (!pipeline.stages.some((st) => st.name === s)) throw invalidParameter(`pipeline '${pipeline.name}' has no stage '${s}'`)
      return stages
    }
    const match = pipeline.triggers.find((t) => t.event === event && (t.model === undefined || t.model === model))
    if (!match) return undefined
    return match.stages ?? pipeline.stages.map((s) => s.name)
  }
}

function startDetached(args: readonly string[], env: Record<string, string>): void {
  const child = spawn(process.execPath, [wharfBin, ...args], { env, stdio: 'ignore', detached: true })
  child.unref()
}
