import type { FastifyInstance } from 'fastify'
import type { z } from 'zod'
import type { Services } from './services.js'
import { parseInput } from './wire-schema.js'

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** One API endpoint: parse, call, return. Handlers never catch; `error-response.ts` answers errors. */
export interface Route {
  readonly methods: readonly Method[]
  readonly path: string
  readonly handle: (request: { query: unknown; body: unknown; params: unknown }, services: Services) => Promise<object>
}

function define(methods: readonly Method[]) {
  return <S extends z.ZodType>(path: string, schema: S, handler: (input: z.infer<S>, services: Services) => Promise<object>): Route => ({
    methods,
    path,
    handle: (request, services) => {
      // GET carries fields in the query string; the others in a JSON body. Path params join either.
      const fields = methods.includes('GET') && request.body == null ? request.query : request.body
      const input = parseInput(schema, { ...(fields as object | undefined), ...(request.params as object | undefined) })
      return handler(input, services)
    },
  })
}

export const get = define(['GET'])
export const post = define(['POST'])
export const patch = define(['PATCH'])
export const del = define(['DELETE'])
/** Endpoints the MLflow client calls with either verb (experiments/search, get-latest-versions). */
export const getOrPost = define(['GET', 'POST'])

/** Mounts routes under each prefix, e.g. `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`. */
export function mountRoutes(app: FastifyInstance, prefixes: readonly string[], routes: readonly Route[], services: Services): void {
  for (const prefix of prefixes) {
    for (const route of routes) {
      app.route({
        method: [...route.methods],
        url: prefix + route.path,
        handler: (request) => route.handle(request, services),
      })
    }
  }
}
