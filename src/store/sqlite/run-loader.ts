import type { Database } from 'better-sqlite3'
import type { Run } from '../../tracking/entities.js'
import { type DatasetInputRow, type KeyValueRow, type MetricRow, type RunRow, groupByOwner, toDatasetInput, toMetric, toRunInfo, toTag } from './rows.js'

/**
 * Loads whole runs for a page of run rows with one query per side table (never one per run: the
 * N+1 pattern that made MLflow's search slow, docs/protocols.md §9). Run ids travel as one JSON array
 * parameter so the statements stay prepared once.
 */
export class RunLoader {
  readonly #params
  readonly #tags
  readonly #metrics
  readonly #inputs
  readonly #inputTags
  readonly #modelIo

  constructor(db: Database) {
    const ids = 'SELECT value FROM json_each(?)'
    // Ordered by run, then key: the (run_uuid, key) primary key's own order, so no sort; each run's
    // group keeps its keys in order.
    this.#params = db.prepare(`SELECT run_uuid AS owner, key, value FROM params WHERE run_uuid IN (${ids}) ORDER BY run_uuid, key`)
    this.#tags = db.prepare(`SELECT run_uuid AS owner, key, value FROM tags WHERE run_uuid IN (${ids}) ORDER BY run_uuid, key`)
    this.#metrics = db.prepare(
      `SELECT run_uuid AS owner, run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_uuid IN (${ids}) ORDER BY run_uuid, key`,
    )
    this.#inputs = db.prepare(
      `SELECT i.run_uuid AS owner, i.run_uuid, i.input_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
       FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_uuid IN (${ids}) ORDER BY i.input_id`,
    )
    this.#inputTags = db.prepare(
      `SELECT CAST(t.input_id AS TEXT) AS owner, t.key, t.value FROM run_input_tags t JOIN run_inputs i ON i.input_id = t.input_id
       WHERE i.run_uuid IN (${ids}) ORDER BY t.key`,
    )
    this.#modelIo = db.prepare(`SELECT run_uuid AS owner, direction, model_id, step FROM run_model_io WHERE run_uuid IN (${ids}) ORDER BY model_id`)
  }

  load(rows: readonly RunRow[]): Run[] {
    if (rows.length === 0) return []
    const ids = JSON.stringify(rows.map((r) => r.run_uuid))
    const params = groupByOwner(this.#params.all(ids) as KeyValueRow[])
    const tags = groupByOwner(this.#tags.all(ids) as KeyValueRow[])
    const metrics = groupByOwner(this.#metrics.all(ids) as (MetricRow & { owner: string })[])
    const inputs = groupByOwner(this.#inputs.all(ids) as (DatasetInputRow & { owner: string })[])
    const inputTags = groupByOwner(this.#inputTags.all(ids) as KeyValueRow[])
    const modelIo = groupByOwner(this.#modelIo.all(ids) as { owner: string; direction: string; model_id: string; step: number }[])
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
}
