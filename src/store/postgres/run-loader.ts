import type { Run } from '../../tracking/entities.js'
import {
  type DatasetInputRow,
  type KeyValueRow,
  type MetricRow,
  type RunRow,
  groupByOwner,
  toDatasetInput,
  toMetric,
  toRunInfo,
  toTag,
} from '../sqlite/rows.js'
import type { PgExecutor } from './database.js'

const ids = '= ANY(?::text[])'

/**
 * Loads whole runs for a page of run rows with one query per side table (never one per run: the
 * N+1 pattern that made MLflow's search slow). Run ids travel as one array parameter.
 */
export async function loadRuns(db: PgExecutor, rows: readonly RunRow[]): Promise<Run[]> {
  if (rows.length === 0) return []
  const runIds = rows.map((r) => r.run_uuid)
  const [paramRows, tagRows, metricRows, inputRows, inputTagRows, ioRows] = await Promise.all([
    db.all<KeyValueRow>(`SELECT run_uuid AS owner, key, value FROM params WHERE run_uuid ${ids} ORDER BY key`, [runIds]),
    db.all<KeyValueRow>(`SELECT run_uuid AS owner, key, value FROM tags WHERE run_uuid ${ids} ORDER BY key`, [runIds]),
    db.all<MetricRow & { owner: string }>(
      `SELECT run_uuid AS owner, run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_uuid ${ids} ORDER BY key`,
      [runIds],
    ),
    db.all<DatasetInputRow & { owner: string }>(
      `SELECT i.run_uuid AS owner, i.run_uuid, i.input_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
       FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_uuid ${ids} ORDER BY i.input_id`,
      [runIds],
    ),
    db.all<KeyValueRow>(
      `SELECT CAST(t.input_id AS TEXT) AS owner, t.key, t.value FROM run_input_tags t JOIN run_inputs i ON i.input_id = t.input_id
       WHERE i.run_uuid ${ids} ORDER BY t.key`,
      [runIds],
    ),
    db.all<{ owner: string; direction: string; model_id: string; step: number }>(
      `SELECT run_uuid AS owner, direction, model_id, step FROM run_model_io WHERE run_uuid ${ids} ORDER BY model_id`,
      [runIds],
    ),
  ])
  const params = groupByOwner(paramRows)
  const tags = groupByOwner(tagRows)
  const metrics = groupByOwner(metricRows)
  const inputs = groupByOwner(inputRows)
  const inputTags = groupByOwner(inputTagRows)
  const modelIo = groupByOwner(ioRows)
  return rows.map((row) => {
    const io = modelIo.get(row.run_uuid) ?? []
    return {
      info: toRunInfo(row),
      data: {
        metrics: (metrics.get(row.run_uuid) ?? []).map(toMetric),
        params: (params.get(row.run_uuid) ?? []).map(toTag),
        tags: (tags.get(row.run_uuid) ?? []).map(toTag),
      },
      inputs: {
        datasetInputs: (inputs.get(row.run_uuid) ?? []).map((i) => toDatasetInput(i, (inputTags.get(String(i.input_id)) ?? []).map(toTag))),
        modelInputs: io.filter((m) => m.direction === 'input').map((m) => ({ modelId: m.model_id })),
      },
      outputs: {
        modelOutputs: io.filter((m) => m.direction === 'output').map((m) => ({ modelId: m.model_id, step: m.step })),
      },
    }
  })
}
