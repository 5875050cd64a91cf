export { ApiClient, TrackingError, type ApiClientOptions, type JsonObject, type Query } from './fetch-json.js'
export {
  TrackingClient,
  chunkBatch,
  proxiedPath,
  type KeyValue,
  type Metric,
  type ModelVersion,
  type RunInfo,
  type TrackingClientOptions,
} from './tracking-client.js'
