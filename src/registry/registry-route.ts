import type { Hono } from 'hono'
import type { z } from 'zod'
import type { AppEnv } from '../http/app-env.js'
import { queryFields, readJsonBody } from '../http/request-body.js'
import type { Method } from '../http/route.js'
import { parseInput } from '../http/wire-schema.js'
import { actorOf } from './actor.js'
import type { RegistryService } from './registry-service.js'

/** What a registry handler gets besides its parsed input: the service and who is asking. */
export interface RegistryContext {
  readonly registry: RegistryService
  /** Recorded with every change in the event log (see `actor.ts`). */
  readonly actor: string
}

/**
 * A registry endpoint: parse, call, return, like `http/route.ts`, except that the handler also
 * learns the actor, because every registry change is recorded with who made it.
 */
export interface RegistryRoute {
  readonly methods: readonly Method[]
  readonly path: string
  readonly handle: (fields: Record<string, unknown>, context: RegistryContext) => Promise<object>
}

function define(methods: readonly Method[]) {
  return <S extends z.ZodType>(path: string, schema: S, handler: (input: z.infer<S>, context: RegistryContext) => Promise<object>): RegistryRoute => ({
    methods,
    path,
    handle: (fields, context) => handler(parseInput(schema, fields), context),
  })
}

export const get = define(['GET'])
export const post = define(['POST'])
export const patch = define(['PATCH'])
export const del = define(['DELETE'])
export const getOrPost = define(['GET', 'POST'])

/** Mounts registry routes under each prefix, e.g. `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`. */
export function mountRegistryRoutes(app: Hono<AppEnv>, prefixes: readonly string[], routes: readonly RegistryRoute[], registry: RegistryService): void {
  for (const prefix of prefixes) {
    for (const route of routes) {
      app.on([...route.methods], prefix + route.path, async (c) => {
        // GET carries fields in the query string, the other verbs in a JSON body (DELETE too, as the
        // MLflow client sends it); a DELETE without a JSON body may use the query string.
        const isBodyless = c.req.method === 'GET' || (c.req.method === 'DELETE' && c.req.header('content-type') === undefined)
        const fields = isBodyless ? queryFields(c) : await readJsonBody(c)
        const input = typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? (fields as Record<string, unknown>) : {}
        const actor = actorOf({ authorization: c.req.header('authorization'), userAgent: c.req.header('user-agent') })
        return c.json(await route.handle({ ...input, ...c.req.param() }, { registry, actor }))
      })
    }
  }
}
