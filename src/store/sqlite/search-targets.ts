import type { SearchTarget } from './search-sql.js'

/**
 * What the search filters and orders of runs, experiments and logged models name, as columns of the
 * tracking tables. The PostgreSQL store has the same tables and uses these too.
 */
export const runTarget: SearchTarget = {
  alias: 'r',
  idColumn: 'run_uuid',
  attributes: {
    run_id: 'run_uuid',
    run_name: 'name',
    status: 'status',
    user_id: 'user_id',
    artifact_uri: 'artifact_uri',
    start_time: 'start_time',
    end_time: 'end_time',
  },
  metricTable: 'search_run_metrics',
  paramTable: 'search_run_params',
  tagTable: 'search_run_tags',
  datasets: true,
}

export const experimentTarget: SearchTarget = {
  alias: 'e',
  idColumn: 'experiment_id',
  attributes: { name: 'name', experiment_id: 'experiment_id', creation_time: 'creation_time', last_update_time: 'last_update_time' },
  tagTable: 'search_experiment_tags',
}

/** SQL for each `view_type` of a search. */
export const lifecycleFilter = { ACTIVE_ONLY: "= 'active'", DELETED_ONLY: "= 'deleted'", ALL: "IN ('active', 'deleted')" } as const

export const loggedModelTarget: SearchTarget = {
  alias: 'm',
  idColumn: 'model_id',
  attributes: {
    name: 'name',
    model_id: 'model_id',
    model_type: 'model_type',
    status: 'status',
    source_run_id: 'source_run_id',
    creation_timestamp: 'creation_timestamp_ms',
    last_updated_timestamp: 'last_updated_timestamp_ms',
  },
  metricTable: 'search_logged_model_metrics',
  paramTable: 'search_logged_model_params',
  tagTable: 'search_logged_model_tags',
}
