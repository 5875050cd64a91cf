/**
 * Errors the serving core raises on purpose. Each protocol adapter turns one into its own wire
 * shape (MLflow `{error_code, message}`, KServe `{"error"}`, Azure ML text) with `status`.
 * Messages never echo request headers (SECURITY.md §3.7) and name the offending column.
 */
export type ServingErrorCode = 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'NOT_READY' | 'INTERNAL_ERROR'

const statusByCode: Record<ServingErrorCode, number> = {
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_READY: 503,
  INTERNAL_ERROR: 500,
}

/** MLflow's scoring server answers BAD_REQUEST / INVALID_PARAMETER_VALUE style codes (PROTOCOLS.md §6). */
const mlflowCodeByCode: Record<ServingErrorCode, string> = {
  BAD_REQUEST: 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'REQUEST_LIMIT_EXCEEDED',
  UNSUPPORTED_MEDIA_TYPE: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'PERMISSION_DENIED',
  NOT_FOUND: 'ENDPOINT_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'ENDPOINT_NOT_FOUND',
  NOT_READY: 'TEMPORARILY_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
}

export class ServingError extends Error {
  constructor(
    readonly code: ServingErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'ServingError'
  }

  get status(): number {
    return statusByCode[this.code]
  }

  get mlflowCode(): string {
    return mlflowCodeByCode[this.code]
  }
}

export const badRequest = (message: string) => new ServingError('BAD_REQUEST', message)
