import type { FastifyError, FastifyInstance } from 'fastify'
import { MlflowError } from '../errors.js'

/**
 * Framework refusals that happen before a handler runs, as the MlflowError a client should see.
 * Wording for the content type follows MLflow's `_validate_content_type` (CVE-2023-6568: never echo
 * the header back).
 */
function fromFrameworkError(err: FastifyError): MlflowError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MlflowError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type must be one of [application/json].', { cause: err })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new MlflowError('INVALID_PARAMETER_VALUE', 'Malformed request: the JSON body is empty.', { cause: err })
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MlflowError('INVALID_PARAMETER_VALUE', 'Malformed request: the body is larger than this server accepts.', { cause: err })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new MlflowError('INVALID_PARAMETER_VALUE', 'Malformed request: the body is not valid JSON.', { cause: err })
  }
  // JSON.parse failures surface as a SyntaxError with statusCode 400.
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return new MlflowError('INVALID_PARAMETER_VALUE', 'Malformed request: the body is not valid JSON.', { cause: err })
  }
  return undefined
}

/** The one place errors become HTTP answers: `{error_code, message}` with the code's status, no stack. */
export function installErrorResponses(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = err instanceof MlflowError ? err : fromFrameworkError(err)
    if (known) {
      if (known.status >= 500) request.log.error({ err }, 'request failed')
      return reply.status(known.status).send({ error_code: known.code, message: known.message })
    }
    request.log.error({ err }, 'unexpected error')
    return reply.status(500).send({ error_code: 'INTERNAL_ERROR', message: 'Internal error; see the server log.' })
  })
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `No endpoint ${request.method} ${request.url.split('?')[0]}` }),
  )
}
