export { TrackingClient, TrackingError, chunkBatch, logBatchLimits, proxiedPath, type KeyValue, type Metric, type ModelVersion, type RunInfo, type TrackingClientOptions } from './tracking-client.js'
export { fetchJson, type JsonObject } from './fetch-json.js'
