import type { Config } from '../config.js'
import { readEnvironmentVariables } from '../config.js'
import type { Logger } from '../logger.js'
import { definedOnly, inheritedVariables, PipelineCatalog, PipelineTrigger, secretVariables } from '../pipeline/index.js'
import type { PipelineStore } from '../store/pipeline-store.js'

/** What `wharf server` mounts: the run store behind the pipeline API, and the webhook receiver. */
export interface PipelineServices {
  readonly store: PipelineStore
  /** The pipelines the operator configured: the only ones runs may be recorded for and webhooks may start. */
  readonly catalog: PipelineCatalog
  readonly trigger: PipelineTrigger
  /** Call once the server listens: runners started by webhooks reach it at `trackingUri`. */
  start(trackingUri: string): void
}

export interface PipelineBackends {
  /** The pipeline store open-backends chose for the store URI. */
  readonly store: PipelineStore
  /** The artifact store's local folder, if it has one (see open-backends.ts): no pipeline file is loaded from under it. */
  readonly artifactRoot: string | undefined
}

/** The pipeline API and webhook receiver of `wharf server`, on the stores open-backends chose. */
export function startPipelines(config: Config, backends: PipelineBackends, logger: Logger): PipelineServices {
  const { store } = backends
  const catalog = new PipelineCatalog({ files: [config.projectFile, ...config.pipelines], artifactRoot: backends.artifactRoot })
  let trackingUri = ''
  const trigger = new PipelineTrigger({
    store,
    catalog,
    secret: config.pipelineWebhookSecret,
    trackingUri: () => trackingUri,
    token: config.authToken,
    logger,
    runnerEnvironment: (pipeline) => definedOnly(readEnvironmentVariables([...inheritedVariables, ...secretVariables(pipeline.secrets)])),
  })
  return {
    store,
    catalog,
    trigger,
    start: (uri) => {
      trackingUri = uri
    },
  }
}
