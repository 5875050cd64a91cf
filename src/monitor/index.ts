/** Monitoring of deployed endpoints: prediction logs, drift against the training profile, alerts. */
export { AlertSender, type AlertQueue, type AlertReceiver, type AlertSenderOptions, type Breach, type DriftAlert } from './drift-alerts.js'
export { renderDriftMetrics } from './drift-metrics.js'
export { MonitorService, type DriftReport, type MonitorServiceOptions } from './monitor-service.js'
export { PredictionLog, type PredictionLogOptions, type PredictionLogRecord } from './prediction-log.js'
export { formatDrift, MonitorClient, type MonitorClientOptions } from './monitor-client.js'
