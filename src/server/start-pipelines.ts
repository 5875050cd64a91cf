import type { Logger } from '../logger.js'
import type { Config } from '../config.js'
import { PipelineTrigger } from '../pipeline/index.js'
import type { PipelineStore } from '../store/pipeline-store.js'

/** What `wharf server` mounts: the run store behind the pipeline API, and the webhook receiver. */
export interface PipelineServices {
  readonly store: PipelineStore
  readonly trigger: PipelineTrigger
  /** Call once the server listens: runners started by webhooks reach it at `trackingUri`. */
  start(trackingUri: string): void
}

/** The pipeline API and webhook receiver of `wharf server`, on the store open-backends chose. */
export function startPipelines(config: Config, store: PipelineStore, logger: Logger): PipelineServices {
  let trackingUri = ''
  const trigger = new PipelineTrigger({
    store, secret: config.pipelineWebhookSecret, projectFile: config.projectFile, trackingUri: () => trackingUri, token: config.authToken, logger,
  })
  return {
    store,
    trigger,
    start: (uri) => {
      trackingUri = uri
    },
  }
}
