import type {
  Dataset,
  DatasetInput,
  Experiment,
  LifecycleStage,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  Page,
  Run,
  RunBatch,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from '../tracking/entities.js'
import type { OrderTerm, SearchClause } from '../tracking/search/filter-ast.js'

export interface NewExperiment {
  readonly name: string
  /** When absent the store derives `mlflow-artifacts:/<id>` once the id is known. */
  readonly artifactLocation?: string | undefined
  readonly tags: readonly Tag[]
  readonly time: number
}

export interface NewRun {
  readonly runId: string
  readonly experimentId: string
  readonly runName: string
  readonly userId: string
  readonly startTime: number
  readonly tags: readonly Tag[]
}

export interface RunPatch {
  readonly status?: RunStatus | undefined
  readonly endTime?: number | undefined
  readonly runName?: string | undefined
}

export interface SearchQuery {
  readonly clauses: readonly SearchClause[]
  readonly orderBy: readonly OrderTerm[]
  readonly maxResults: number
  readonly pageToken?: string | undefined
  readonly viewType: ViewType
}

export interface RunQuery extends SearchQuery {
  readonly experimentIds: readonly string[]
}

/**
 * A metric history page as JSON: `json` is the array of the page's wire metrics (the get-history
 * response's `metrics`), written by the database so a long history never becomes one object a point.
 */
export interface MetricHistoryJson {
  readonly json: string
  readonly count: number
  readonly nextPageToken?: string | undefined
}

export interface LoggedModelQuery extends SearchQuery {
  readonly experimentIds: readonly string[]
}

export interface NewLoggedModel {
  readonly modelId: string
  readonly experimentId: string
  readonly name: string
  readonly modelType?: string | undefined
  readonly sourceRunId?: string | undefined
  readonly params: readonly Tag[]
  readonly tags: readonly Tag[]
  readonly time: number
}

/**
 * The tracking store: few primitives, each one transaction. Convenience calls (log one metric, set
 * one tag) live in `tracking/tracking-service.ts` on top of `logBatch`. Failures are MlflowErrors:
 * RESOURCE_DOES_NOT_EXIST for unknown ids, RESOURCE_ALREADY_EXISTS for taken names,
 * INVALID_PARAMETER_VALUE for refused writes. A refused call writes nothing.
 */
export interface TrackingStore {
  createExperiment(input: NewExperiment): Promise<Experiment> // RESOURCE_ALREADY_EXISTS if name taken (even deleted)
  getExperiment(experimentId: string): Promise<Experiment>
  getExperimentByName(name: string): Promise<Experiment> // prefers the active one
  searchExperiments(query: SearchQuery): Promise<Page<Experiment>>
  renameExperiment(experimentId: string, newName: string, time: number): Promise<void>
  /** Deleting an experiment deletes its runs too; restoring restores them. */
  setExperimentLifecycle(experimentId: string, stage: LifecycleStage, time: number): Promise<void>
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>
  deleteExperimentTag(experimentId: string, key: string): Promise<void>

  createRun(input: NewRun): Promise<Run> // artifact URI derived from the experiment's location
  getRun(runId: string): Promise<Run>
  updateRun(runId: string, patch: RunPatch): Promise<RunInfo>
  setRunLifecycle(runId: string, stage: LifecycleStage, time: number): Promise<void>
  /** All or nothing. Param values are immutable: a different value is INVALID_PARAMETER_VALUE. */
  logBatch(runId: string, batch: RunBatch): Promise<void>
  deleteRunTag(runId: string, key: string): Promise<void>
  logInputs(runId: string, datasets: readonly DatasetInput[], modelIds: readonly string[]): Promise<void>
  logOutputs(runId: string, models: readonly { modelId: string; step: number }[]): Promise<void>
  getMetricHistory(runId: string, key: string, maxResults?: number, pageToken?: string): Promise<Page<Metric>>
  /** The same page as `getMetricHistory`, as the JSON text of its wire metrics (metric-history-json.ts). */
  getMetricHistoryJson(runId: string, key: string, maxResults?: number, pageToken?: string): Promise<MetricHistoryJson>
  searchRuns(query: RunQuery): Promise<Page<Run>>

  createLoggedModel(input: NewLoggedModel): Promise<LoggedModel>
  getLoggedModel(modelId: string): Promise<LoggedModel>
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus, time: number): Promise<LoggedModel>
  deleteLoggedModel(modelId: string): Promise<void>
  setLoggedModelTags(modelId: string, tags: readonly Tag[], time: number): Promise<void>
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>
  logLoggedModelParams(modelId: string, params: readonly Tag[]): Promise<void>
  searchLoggedModels(query: LoggedModelQuery): Promise<Page<LoggedModel>>

  close(): Promise<void>
}

export type { Dataset }
