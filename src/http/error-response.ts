import type { Context } from 'hono'
import type { Logger } from '../logger.js'
import { errorBody, MlflowError } from '../errors.js'
import type { AppEnv } from './app-env.js'

/** The one place errors become HTTP answers: `{error_code, message}` with the code's status, no stack. */
export function errorResponse(logger: Logger | undefined) {
  return (err: Error, c: Context<AppEnv>) => {
    if (err instanceof MlflowError) {
      if (err.status >= 500) logger?.error({ err }, 'request failed')
      return c.json(errorBody(err), err.status as 400)
    }
    logger?.error({ err, method: c.req.method, path: c.req.path }, 'unexpected error')
    return c.json(errorBody(new MlflowError('INTERNAL_ERROR', 'Internal error; see the server log.')), 500)
  }
}

export function notFoundResponse(c: Context<AppEnv>) {
  return c.json(errorBody(new MlflowError('ENDPOINT_NOT_FOUND', `No endpoint ${c.req.method} ${c.req.path}`)), 404)
}
