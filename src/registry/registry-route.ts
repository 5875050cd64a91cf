import { type Route, routeBuilders } from '../http/route.js'
import type { RegistryService } from './registry-service.js'

/** What a registry handler gets besides its parsed input: the service and who is asking. */
export interface RegistryContext {
  readonly registry: RegistryService
  /** Recorded with every change in the event log (see `http/actor.ts`). */
  readonly actor: string
}

/** A registry endpoint: like the tracking routes, but the handler also learns who is asking. */
export type RegistryRoute = Route<RegistryContext>
export const { get, post, patch, del, getOrPost } = routeBuilders<RegistryContext>()
