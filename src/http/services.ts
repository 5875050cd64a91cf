import type { ControlPlane } from '../deploy/index.js'
import type { PipelineServices } from '../pipeline/index.js'
import type { RegistryService } from '../registry/index.js'
import type { ArtifactStore } from '../store/artifact-store.js'
import type { TrackingService } from '../tracking/tracking-service.js'

/** What route handlers may call. Built once at startup by `server.ts`. */
export interface Services {
  readonly tracking: TrackingService
  readonly artifacts: ArtifactStore
  readonly registry: RegistryService
  /** The deployment control plane; only `wharf server` has one. */
  readonly deployments?: ControlPlane | undefined
  /** Pipeline runs and the webhook receiver that starts them; only `wharf server` has them. */
  readonly pipelines?: PipelineServices | undefined
}
