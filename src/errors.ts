/**
 * The one error type Wharf raises on purpose, for the tracking server and for `wharf serve` alike.
 * Codes and statuses follow MLflow's `ERROR_CODE_TO_HTTP_STATUS` (mlflow/protos/databricks.proto +
 * mlflow/exceptions.py) so the MLflow client reacts to them the way it does against `mlflow server`
 * (for example it turns RESOURCE_DOES_NOT_EXIST from get-by-name into "None" and swallows
 * RESOURCE_ALREADY_EXISTS on register_model). Wharf adds the HTTP-level refusals MLflow has no code
 * for (405, 413, 415, a proxy's 502); where MLflow's scoring server answers with a code of its own,
 * that is the `error_code` written. Each protocol only chooses the body's shape
 * (docs/architecture.md, "One error path").
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'BAD_REQUEST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_CONFLICT'
  | 'ENDPOINT_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'INVALID_STATE'
  | 'NOT_IMPLEMENTED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'BAD_GATEWAY'
  | 'INTERNAL_ERROR'

interface CodeRow {
  readonly status: number
  /** The `error_code` written on the wire, when it is not the code itself (codes MLflow lacks). */
  readonly wireCode?: string
}

// The one table. A new code without a row does not compile. RESOURCE_ALREADY_EXISTS is 400, not 409, in MLflow.
const codeTable: Readonly<Record<ErrorCode, CodeRow>> = {
  INVALID_PARAMETER_VALUE: { status: 400 },
  BAD_REQUEST: { status: 400 },
  RESOURCE_ALREADY_EXISTS: { status: 400 },
  RESOURCE_DOES_NOT_EXIST: { status: 404 },
  // The state forbids the change (a pipeline another runner holds, a decided gate); MLflow maps it to 409 too.
  RESOURCE_CONFLICT: { status: 409 },
  ENDPOINT_NOT_FOUND: { status: 404 },
  METHOD_NOT_ALLOWED: { status: 405, wireCode: 'ENDPOINT_NOT_FOUND' },
  UNAUTHENTICATED: { status: 401 },
  PERMISSION_DENIED: { status: 403 },
  // Wharf's own: MLflow has no code for a body over the limit (its uploads answer a plain 413).
  PAYLOAD_TOO_LARGE: { status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, wireCode: 'BAD_REQUEST' },
  REQUEST_LIMIT_EXCEEDED: { status: 429 },
  INVALID_STATE: { status: 500 },
  NOT_IMPLEMENTED: { status: 501 },
  TEMPORARILY_UNAVAILABLE: { status: 503 },
  // A replica forwarding to the one that supervises deployments got no answer before that one lost its lease (MLflow: 504 too).
  DEADLINE_EXCEEDED: { status: 504 },
  // A deployment router whose upstream version failed mid-request.
  BAD_GATEWAY: { status: 502, wireCode: 'TEMPORARILY_UNAVAILABLE' },
  INTERNAL_ERROR: { status: 500 },
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
    return codeTable[this.code].status
  }

  /** The `error_code` MLflow-shaped bodies carry. */
  get wireCode(): string {
    return codeTable[this.code].wireCode ?? this.code
  }
}

/** MLflow's error body, `{error_code, message}`: no stack, no cause. */
export const errorBody = (err: MlflowError) => ({ error_code: err.wireCode, message: err.message })

/** Bad input: a malformed or out-of-range request field. */
export const invalidParameter = (message: string, options?: ErrorOptions) => new MlflowError('INVALID_PARAMETER_VALUE', message, options)

/** Bad input that is not one field: a body the scoring protocols cannot read. */
export const badRequest = (message: string, options?: ErrorOptions) => new MlflowError('BAD_REQUEST', message, options)

export const notFound = (message: string) => new MlflowError('RESOURCE_DOES_NOT_EXIST', message)

/** A conflict with what exists (MLflow answers it 400 as RESOURCE_ALREADY_EXISTS). */
export const alreadyExists = (message: string, options?: ErrorOptions) => new MlflowError('RESOURCE_ALREADY_EXISTS', message, options)

/** Not now, maybe later: the client should retry (503). */
export const unavailable = (message: string) => new MlflowError('TEMPORARILY_UNAVAILABLE', message)

/** A gateway gave up waiting for the server behind it, which may or may not have acted on the request (504). */
export const deadlineExceeded = (message: string) => new MlflowError('DEADLINE_EXCEEDED', message)

/** MLflow's wording for a missing required field, which some client code matches on. */
export const missingParameter = (name: string) =>
  invalidParameter(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`)

export const invalidPath = () => invalidParameter('Invalid path')

/** The state forbids the change (a pipeline another runner holds, a decided gate): 409, as MLflow maps RESOURCE_CONFLICT. */
export const conflict = (message: string) => new MlflowError('RESOURCE_CONFLICT', message)

export const payloadTooLarge = (maxBytes: number) => new MlflowError('PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${maxBytes} bytes.`)
