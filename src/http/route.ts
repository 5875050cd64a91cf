import type { Hono } from 'hono'
import type { z } from 'zod'
import type { AppEnv } from './app-env.js'
import { queryFields, readJsonBody } from './request-body.js'
import type { Services } from './services.js'
import { parseInput } from './wire-schema.js'

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** One API endpoint: parse, call, return. Handlers never catch; `error-response.ts` answers errors. */
export interface Route {
  readonly methods: readonly Method[]
  readonly path: string
  readonly handle: (fields: Record<string, unknown>, services: Services) => Promise<object>
}

function define(methods: readonly Method[]) {
  return <S extends z.ZodType>(path: string, schema: S, handler: (input: z.infer<S>, services: Services) => Promise<object>): Route => ({
    methods,
    path,
    handle: (fields, services) => handler(parseInput(schema, fields), services),
  })
}

export const get = define(['GET'])
export const post = define(['POST'])
export const patch = define(['PATCH'])
export const del = define(['DELETE'])
/** Endpoints the MLflow client calls with either verb (experiments/search, get-latest-versions). */
export const getOrPost = define(['GET', 'POST'])

/** Mounts routes under each prefix, e.g. `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`. */
export function mountRoutes(app: Hono<AppEnv>, prefixes: readonly string[], routes: readonly Route[], services: Services): void {
  for (const prefix of prefixes) {
    for (const route of routes) {
      app.on([...route.methods], prefix + route.path, async (c) => {
        // GET carries fields in the query string, the other verbs in a JSON body; path params join either.
        const fields = c.req.method === 'GET' ? queryFields(c) : ((await readJsonBody(c)) as Record<string, unknown>)
        const input = typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? fields : {}
        return c.json(await route.handle({ ...input, ...c.req.param() }, services))
      })
    }
  }
}
