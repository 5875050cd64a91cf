/** One answered prediction request as the router saw it, handed to monitoring after the answer was sent. */
export interface CapturedPrediction {
  /** Unix milliseconds when the request arrived. */
  readonly time: number
  /** The serving process's `x-request-id` (the client's own when it sent a sane one). */
  readonly requestId: string
  readonly version: string
  readonly path: string
  readonly status: number
  readonly request: Buffer
  readonly response: Buffer
}

/**
 * What an endpoint's router calls for monitoring (implemented in monitor/, wired by server/).
 * `shouldCapture` runs on the request path and must be cheap (a random draw); `capture` runs after
 * the answer is written and must only queue work, never wait on I/O.
 */
export interface PredictionTap {
  shouldCapture(): boolean
  capture(prediction: CapturedPrediction): void
}

/** Gives each endpoint (environment, model) its tap, or none when its environment monitors nothing. */
export type PredictionTapFor = (environment: string, modelName: string) => PredictionTap | undefined
