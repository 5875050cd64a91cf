import type { RegistryService } from '../registry/index.js'
import type { ArtifactStore } from '../store/artifact-store.js'
import type { TrackingService } from '../tracking/tracking-service.js'

/** What route handlers may call. Built once at startup by `server.ts`. */
export interface Services {
  readonly tracking: TrackingService
  readonly artifacts: ArtifactStore
  readonly registry: RegistryService
}
