import { type Route, routeBuilders } from '../http/route.js'
import type { ArtifactStore } from '../store/artifact-store.js'
import type { TrackingService } from './tracking-service.js'

/** What a tracking handler may call besides its parsed input. */
export interface TrackingContext {
  readonly tracking: TrackingService
  readonly artifacts: ArtifactStore
}

/** A tracking endpoint (experiments, runs, logged models, artifact listings). */
export type TrackingRoute = Route<TrackingContext>
export const { get, post, patch, del, getOrPost } = routeBuilders<TrackingContext>()
