import type { Context, Hono } from 'hono'
import type { z } from 'zod'
import type { AppEnv } from './app-env.js'
import { queryFields, readJsonBody } from './request-body.js'
import { parseInput } from './wire-schema.js'

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/**
 * A response body that is JSON text already, sent as is: for an answer the database wrote as JSON
 * (a long metric history), which parsing into objects only to serialize again would slow down.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * One API endpoint: parse, call, return. Handlers never catch; `error-response.ts` answers errors.
 * `C` is what a handler may call besides its input (the services, or the registry and the actor).
 */
export interface Route<C> {
  readonly methods: readonly Method[]
  readonly path: string
  readonly handle: (fields: Record<string, unknown>, context: C) => Promise<object>
}

function define<C>(methods: readonly Method[]) {
  return <S extends z.ZodType>(path: string, schema: S, handler: (input: z.infer<S>, context: C) => Promise<object>): Route<C> => ({
    methods,
    path,
    handle: (fields, context) => handler(parseInput(schema, fields), context),
  })
}

/** The verb helpers for routes whose handlers take a context of type `C`. */
export function routeBuilders<C>() {
  return {
    get: define<C>(['GET']),
    post: define<C>(['POST']),
    patch: define<C>(['PATCH']),
    del: define<C>(['DELETE']),
    /** Endpoints the MLflow client calls with either verb (experiments/search, get-latest-versions). */
    getOrPost: define<C>(['GET', 'POST']),
  }
}

/** Mounts routes under each prefix, e.g. `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`. */
export function mountRoutes<C>(app: Hono<AppEnv>, prefixes: readonly string[], routes: readonly Route<C>[], contextOf: (c: Context<AppEnv>) => C): void {
  for (const prefix of prefixes) {
    for (const route of routes) {
      app.on([...route.methods], prefix + route.path, async (c) => {
        // GET carries fields in the query string, the other verbs a JSON body (DELETE too, as the
        // MLflow client sends it); a DELETE without a body may use the query string instead.
        const isBodyless = c.req.method === 'GET' || (c.req.method === 'DELETE' && c.req.header('content-type') === undefined)
        const fields = isBodyless ? queryFields(c) : await readJsonBody(c)
        const input = typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? (fields as Record<string, unknown>) : {}
        const body = await route.handle({ ...input, ...c.req.param() }, contextOf(c))
        return body instanceof JsonText ? c.body(body.text, 200, { 'content-type': 'application/json' }) : c.json(body)
      })
    }
  }
}
