import type { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { type Route, mountRoutes, routeBuilders } from '../http/route.js'
import { actorOf } from './actor.js'
import type { RegistryService } from './registry-service.js'

/** What a registry handler gets besides its parsed input: the service and who is asking. */
export interface RegistryContext {
  readonly registry: RegistryService
  /** Recorded with every change in the event log (see `actor.ts`). */
  readonly actor: string
}

/** A registry endpoint: like the tracking routes, but the handler also learns who is asking. */
export type RegistryRoute = Route<RegistryContext>
export const { get, post, patch, del, getOrPost } = routeBuilders<RegistryContext>()

/** Mounts registry routes; each request's actor comes from its credentials or client (`actor.ts`). */
export function mountRegistryRoutes(app: Hono<AppEnv>, prefixes: readonly string[], routes: readonly RegistryRoute[], registry: RegistryService): void {
  mountRoutes(app, prefixes, routes, (c) => ({
    registry,
    actor: actorOf({ authorization: c.req.header('authorization'), userAgent: c.req.header('user-agent') }),
  }))
}
