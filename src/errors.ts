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
  | 'ENDPOINT_NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'REQUEST_LIMIT_EXCEEDED'
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
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  REQUEST_LIMIT_EXCEEDED: 429,
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
