import type { ControlPlane } from '../deploy/index.js'
import type { MonitorService } from '../monitor/index.js'
import type { PipelineCatalog, PipelineTrigger } from '../pipeline/index.js'
import type { RegistryService } from '../registry/index.js'
import type { PipelineStore } from '../store/pipeline-store.js'
import type { TrackingContext } from '../tracking/tracking-route.js'

/** What route handlers may call. Built once at startup by `start-server.ts`. */
export interface Services extends TrackingContext {
  readonly registry: RegistryService
  /** The deployment control plane; only `wharf server` has one. */
  readonly deployments?: ControlPlane | undefined
  /** Drift of deployed endpoints, and the control plane's /metrics; only `wharf server` has it. */
  readonly monitor?: MonitorService | undefined
  /** Pipeline runs and the webhook receiver that starts them; only `wharf server` has them. */
  readonly pipelines?: { readonly store: PipelineStore; readonly catalog: PipelineCatalog; readonly trigger: PipelineTrigger } | undefined
}
