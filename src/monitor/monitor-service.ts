import type { CapturedPrediction, EndpointStatus, Environment, MetricsSource, MonitoringSettings, PredictionTap } from '../deploy/index.js'
import { invalidParameter, notFound } from '../errors.js'
import type { Logger } from '../logger.js'
import type { DirectDelivery, RegistryService } from '../registry/index.js'
import type { ArtifactStore } from '../store/artifact-store.js'
import type { AlertSender, Breach } from './drift-alerts.js'
import { renderDriftMetrics } from './drift-metrics.js'
import { type DriftReport, DriftWindow } from './drift-window.js'
import { renderEndpointMetrics } from './endpoint-metrics.js'
import type { PredictionLog } from './prediction-log.js'
export type { DriftReport } from './drift-window.js'
import { loadTrainingProfile } from './training-profile.js'
import { answerPredictions, parseJsonBody, predictionNumbers, requestRows } from './request-rows.js'

export interface MonitorServiceOptions {
  readonly environments: ReadonlyMap<string, Environment>
  readonly registry: RegistryService
  readonly artifacts: ArtifactStore
  readonly predictionLog: PredictionLog
  readonly alerts?: AlertSender | undefined
  /** The deployed endpoints, whose instances' metrics /metrics sums. */
  readonly listEndpoints?: (() => Promise<EndpointStatus[]>) | undefined
  /** Where an endpoint's instances' /metrics pages are, with the credential they take (ControlPlane.metricsSources). */
  readonly metricsSources?: ((endpoint: EndpointStatus) => Promise<MetricsSource[]>) | undefined
  /** Drift is judged (and alerts sent) at most this often per version, after rows arrive. */
  readonly checkDelayMs?: number
  readonly random?: () => number
  readonly logger?: Logger | undefined
}

interface VersionState {
  readonly window: Promise<DriftWindow | undefined>
  breached: ReadonlySet<string>
  checkTimer?: NodeJS.Timeout | undefined
  lastTime: number
}

const key = (...parts: string[]) => parts.join('\u0000')

/**
 * Monitoring of deployed endpoints (issue #18): takes the requests their routers sample, writes
 * them to the prediction log, keeps a sliding window of live rows per version beside its training
 * profile, answers drift reports and gauges, and sends an alert when drift passes a threshold.
 */
export class MonitorService {
  readonly #options: MonitorServiceOptions
  readonly #versions = new Map<string, VersionState>()
  readonly #random: () => number

  constructor(options: MonitorServiceOptions) {
    this.#options = options
    this.#random = options.random ?? Math.random
  }

  /** The router's tap for an endpoint, or none when its environment monitors nothing. */
  tapFor = (environment: string, modelName: string): PredictionTap | undefined => {
    const settings = this.#options.environments.get(environment)?.monitoring
    const logRate = settings?.logPredictions?.sampleRate ?? 0
    const driftRate = settings?.drift?.sampleRate ?? 0
    const rate = Math.max(logRate, driftRate)
    if (!settings || rate === 0) return undefined
    return {
      shouldCapture: () => this.#random() < rate,
      // Off the request path: the answer is already on its way when this runs.
      capture: (p) =>
        void setImmediate(() => {
          const draw = this.#random() * rate
          this.#ingest(environment, modelName, settings, p, draw < logRate, draw < driftRate).catch((err) =>
            this.#options.logger?.error({ err, environment, model: modelName }, 'monitoring could not take a prediction'),
          )
        }),
    }
  }

  async #ingest(environment: string, model: string, settings: MonitoringSettings, p: CapturedPrediction, isLogged: boolean, isDrift: boolean) {
    const request = parseJsonBody(p.request)
    const answer = parseJsonBody(p.response)
    const rows = requestRows(request)
    const predictions = answerPredictions(answer)
    if (isLogged && settings.logPredictions) {
      this.#options.predictionLog.append(
        {
          request_id: p.requestId,
          time: new Date(p.time).toISOString(),
          environment,
          model,
          version: p.version,
          path: p.path,
          status: p.status,
          inputs: rows ?? request ?? p.request.toString('utf8'),
          outputs: predictions ?? answer ?? p.response.toString('utf8'),
        },
        settings.logPredictions.retentionDays,
      )
    }
    if (!isDrift || !settings.drift || p.status !== 200 || rows === undefined) return
    const state = this.#state(environment, model, p.version)
    const window = await state.window
    if (!window) return
    window.add(p.time, rows, predictions && predictionNumbers(predictions))
    state.lastTime = p.time
    state.checkTimer ??= setTimeout(() => {
      state.checkTimer = undefined
      // A store that cannot take the alert now must not take the server down with it.
      this.#check(environment, model, p.version, settings.drift!).catch((err) =>
        this.#options.logger?.error({ err, environment, model, version: p.version }, 'drift check or alert failed'),
      )
    }, this.#options.checkDelayMs ?? 1000).unref()
  }

  #state(environment: string, model: string, version: string): VersionState {
    const k = key(environment, model, version)
    let state = this.#versions.get(k)
    if (!state) {
      const capacity = this.#options.environments.get(environment)?.monitoring?.drift?.windowRows ?? 1000
      const window = loadTrainingProfile(this.#options.registry, this.#options.artifacts, model, version).then(
        (profile) => new DriftWindow(profile.columns, capacity),
        (err) => {
          this.#options.logger?.warn({ err, environment, model, version }, 'no training profile: drift is not measured for this version')
          return undefined
        },
      )
      state = { window, breached: new Set(), lastTime: 0 }
      this.#versions.set(k, state)
    }
    return state
  }

  async #check(environment: string, model: string, version: string, drift: NonNullable<MonitoringSettings['drift']>): Promise<void> {
    const report = await this.drift(environment, model, version)
    const state = this.#versions.get(key(environment, model, version))
    if (!state) return
    const names = new Set(report.breaches.map((b) => `${b.kind}:${b.feature ?? ''}`))
    const isNew = [...names].some((n) => !state.breached.has(n))
    state.breached = names
    if (!isNew) return
    this.#options.logger?.warn({ environment, model, version, breaches: report.breaches, psi_threshold: drift.psiThreshold }, 'drift threshold passed')
    const receivers = this.#options.environments.get(environment)?.monitoring?.alerts?.webhooks ?? []
    await this.#options.alerts?.send(receivers, { environment, model, version, breaches: report.breaches, window: { rows: report.window.rows } })
  }

  /**
   * Drift of one deployed version against its training profile: by default the version live in the
   * environment now (after a rollback, the one rolled back to), else the one that answered last.
   * INVALID_PARAMETER_VALUE for an environment that is unknown or monitors no drift (a mistake to
   * fix); RESOURCE_DOES_NOT_EXIST while the version has no window yet (wait for traffic).
   */
  async drift(environment: string, model: string, version?: string): Promise<DriftReport> {
    const env = this.#options.environments.get(environment)
    if (!env) throw invalidParameter(`environment '${environment}' is not defined in wharf.yaml`)
    const drift = env.monitoring?.drift
    if (!drift) throw invalidParameter(`environment '${environment}' does not monitor drift; set monitoring.drift in wharf.yaml`)
    const chosen = version ?? (await this.#liveVersion(environment, model)) ?? this.#latestVersion(environment, model)
    const state = chosen === undefined ? undefined : this.#versions.get(key(environment, model, chosen))
    const window = await state?.window
    if (chosen === undefined || !window)
      throw notFound(
        `no drift window for model '${model}'${chosen === undefined ? '' : ` version ${chosen}`} in environment '${environment}' yet: no sampled prediction with a training profile`,
      )
    return this.#report(environment, model, chosen, window, drift)
  }

  /** The alerts queued for a deployed model, newest first; INVALID_PARAMETER_VALUE for an unknown environment. */
  async alerts(environment: string, model: string, maxResults: number): Promise<DirectDelivery[]> {
    if (!this.#options.environments.has(environment)) throw invalidParameter(`environment '${environment}' is not defined in wharf.yaml`)
    if (maxResults < 1 || maxResults > 1000) throw invalidParameter('max_results must be between 1 and 1000.')
    return (await this.#options.alerts?.list(environment, model, maxResults)) ?? []
  }

  async #liveVersion(environment: string, model: string): Promise<string | undefined> {
    const endpoints = (await this.#options.listEndpoints?.()) ?? []
    return endpoints.find((e) => e.environment === environment && e.modelName === model)?.liveVersion
  }

  /** Every window's drift, for the gauges. */
  async reports(): Promise<DriftReport[]> {
    const out: DriftReport[] = []
    for (const [k, state] of this.#versions) {
      const [environment, model, version] = k.split('\u0000') as [string, string, string]
      const window = await state.window
      const drift = this.#options.environments.get(environment)?.monitoring?.drift
      if (window && drift) out.push(this.#report(environment, model, version, window, drift))
    }
    return out
  }

  #report(environment: string, model: string, version: string, window: DriftWindow, drift: NonNullable<MonitoringSettings['drift']>): DriftReport {
    const stats = window.stats()
    const breaches: Breach[] = []
    if (stats.window.rows >= drift.minRows) {
      for (const f of stats.features) {
        if (f.psi !== null && f.psi > drift.psiThreshold) breaches.push({ kind: 'feature_psi', feature: f.name, value: f.psi, threshold: drift.psiThreshold })
        if (f.ks !== null && f.ks > drift.ksThreshold) breaches.push({ kind: 'feature_ks', feature: f.name, value: f.ks, threshold: drift.ksThreshold })
      }
      const p = stats.prediction.psi
      if (p !== null && p > drift.psiThreshold) breaches.push({ kind: 'prediction_psi', value: p, threshold: drift.psiThreshold })
    }
    return { environment, model, version, ...stats, thresholds: { psi: drift.psiThreshold, ks: drift.ksThreshold, minRows: drift.minRows }, breaches }
  }

  #latestVersion(environment: string, model: string): string | undefined {
    let best: [string, number] | undefined
    for (const [k, state] of this.#versions) {
      const [e, m, v] = k.split('\u0000') as [string, string, string]
      if (e === environment && m === model && (best === undefined || state.lastTime > best[1])) best = [v, state.lastTime]
    }
    return best?.[0]
  }

  /** The control plane's /metrics: endpoint traffic summed over instances, then the drift gauges. */
  async metricsText(): Promise<string> {
    if (!this.#options.listEndpoints) return renderDriftMetrics(await this.reports())
    const endpoints = await this.#options.listEndpoints()
    // Versions no longer deployed keep their window in memory (a redeploy finds it) but leave the gauges.
    const deployed = new Set(endpoints.flatMap((e) => e.instances.map((i) => key(e.environment, e.modelName, i.version))))
    const reports = (await this.reports()).filter((r) => deployed.has(key(r.environment, r.model, r.version)))
    const sourcesOf = this.#options.metricsSources ?? (async () => [])
    const sources = await Promise.all(endpoints.map(async (e) => ({ environment: e.environment, modelName: e.modelName, sources: await sourcesOf(e) })))
    return (await renderEndpointMetrics(sources)) + renderDriftMetrics(reports)
  }

  async close(): Promise<void> {
    for (const state of this.#versions.values()) clearTimeout(state.checkTimer)
    await this.#options.predictionLog.close()
  }
}
