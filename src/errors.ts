/**
 * The one error type Wharf raises on purpose. Codes and statuses follow MLflow's
 * `ERROR_CODE_TO_HTTP_STATUS` (mlflow/protos/databricks.proto + mlflow/server/handlers.py) so the
 * MLflow client reacts to them the way it does against `mlflow server` (for example it turns
 * RESOURCE_DOES_NOT_EXIST from get-by-name into "None" and swallows RESOURCE_ALREADY_EXISTS on
 * register_model).
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'BAD_REQUEST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_CONFLICT'
  | 'ENDPOINT_NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_STATE'
  | 'NOT_IMPLEMENTED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'INTERNAL_ERROR'

// A new code without a status does not compile. RESOURCE_ALREADY_EXISTS is 400, not 409, in MLflow.
const statusByCode: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_CONFLICT: 409,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  REQUEST_LIMIT_EXCEEDED: 429,
  // Wharf's own: MLflow has no code for a body over the limit (its uploads answer a plain 413).
  PAYLOAD_TOO_LARGE: 413,
  INVALID_STATE: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
}

export class MlflowError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'MlflowError'
  }

  get status(): number {
    return statusByCode[this.code]
  }
}

export const invalidParameter = (message: string, options?: ErrorOptions) =>
  new MlflowError('INVALID_PARAMETER_VALUE', message, options)

export const notFound = (message: string) => new MlflowError('RESOURCE_DOES_NOT_EXIST', message)

export const alreadyExists = (message: string, options?: ErrorOptions) =>
  new MlflowError('RESOURCE_ALREADY_EXISTS', message, options)

/** MLflow's wording for a missing required field, which some client code matches on. */
export const missingParameter = (name: string) =>
  invalidParameter(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`)

export const invalidPath = () => invalidParameter('Invalid path')

/** The state forbids the change (a pipeline another runner holds, a decided gate): 409, as MLflow maps RESOURCE_CONFLICT. */
export const conflict = (message: string) => new MlflowError('RESOURCE_CONFLICT', message)

export const payloadTooLarge = (maxBytes: number) => new MlflowError('PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${maxBytes} bytes.`)
