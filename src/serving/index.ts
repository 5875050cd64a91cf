/** Real-time model serving: the core (Predictor), its HTTP adapter, and model resolution. */
export { startServing, type RunningServing, type ServeOptions } from './serve-model.js'
export { resolveModel, type ResolvedModel, type SourceOptions } from './model-source.js'
export { Predictor, type PredictorOptions } from './predictor.js'
export { renderMetrics, type MetricsSnapshot } from './metrics.js'
export { runServe } from './serve-workers.js'
