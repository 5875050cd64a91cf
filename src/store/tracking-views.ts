import type { Page, RunInfo, ViewType } from '../tracking/entities.js'
import type { RunQuery, TrackingStore } from './tracking-store.js'

/** The metric, param and tag keys whose values a run table shows. */
export interface RunColumns {
  readonly metrics: readonly string[]
  readonly params: readonly string[]
  readonly tags: readonly string[]
}

/** One row of a run table: the run's info and only the chosen columns. */
export interface RunSummary {
  readonly info: RunInfo
  /** Latest values; NaN stays NaN. */
  readonly metrics: Readonly<Record<string, number>>
  readonly params: Readonly<Record<string, string>>
  readonly tags: Readonly<Record<string, string>>
}

/** Every key logged in some run of the experiments, sorted. */
export interface RunKeys {
  readonly metrics: readonly string[]
  readonly params: readonly string[]
  readonly tags: readonly string[]
}

export interface MetricSampleQuery {
  readonly runId: string
  readonly key: string
  readonly minStep?: number | undefined
  readonly maxStep?: number | undefined
  /** At most this many points come back (at least 4). */
  readonly maxPoints: number
}

/**
 * A metric history thinned for a chart. With more points in the step range than `maxPoints`, the
 * range is cut into buckets and each keeps its lowest and its highest value, so spikes and dips
 * survive at any zoom (min/max decimation, as M4 keeps a pixel column's extremes). NaN values are
 * left out; ±Infinity stay.
 */
export interface MetricSample {
  readonly steps: readonly number[]
  readonly values: readonly number[]
  /** Points in the range before thinning (NaN values, which are not drawn, not counted). */
  readonly totalPoints: number
  readonly isSampled: boolean
  /** The whole history's first and last step, for a chart's full extent. */
  readonly firstStep: number | undefined
  readonly lastStep: number | undefined
}

/**
 * Optional reads for tables and charts over large experiments (the web UI). A store without them
 * is served by slower equivalents built on the TrackingStore primitives (`tracking/run-views.ts`).
 */
export interface TrackingViews {
  /** Like searchRuns (same filter, order and pages), with only the chosen columns loaded. */
  searchRunColumns(query: RunQuery, columns: RunColumns): Promise<Page<RunSummary>>
  listRunKeys(experimentIds: readonly string[], viewType: ViewType): Promise<RunKeys>
  /** RESOURCE_DOES_NOT_EXIST for an unknown run. */
  sampleMetricHistory(query: MetricSampleQuery): Promise<MetricSample>
}

export const hasTrackingViews = (store: TrackingStore): store is TrackingStore & TrackingViews =>
  typeof (store as Partial<TrackingViews>).searchRunColumns === 'function'
