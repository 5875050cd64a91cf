/**
 * A metric history page as the JSON text of its wire metrics, written by the database.
 *
 * A 100,000-point history is the largest answer of the tracking API. Read as rows, each point costs
 * the driver a JS row object (better-sqlite3: ~1 µs a row whatever its columns), then a wire object
 * and JSON.stringify: ~0.5 s a request. Written by the database, the page crosses into JS as one
 * string (~75 ms on SQLite for 100,000 points). The objects are exactly `toWireMetric`'s (same keys,
 * same order; NaN and infinities as strings) — the store contract suite parses this text and
 * compares it with `getMetricHistory`'s page on every backend.
 *
 * Numbers are the databases' text forms: PostgreSQL prints a float8 in its shortest exact form like
 * JavaScript; SQLite prints enough digits to read back the same double, sometimes more than the
 * shortest (`1.0`, `0.33333333333333332`). Both parse to the stored value.
 */

/** What differs between the two SQL dialects in the page statement. */
interface Dialect {
  readonly concat: (expr: string) => string
  readonly text: (column: string) => string
  readonly quote: (column: string) => string
  readonly infinity: string
}

const dialects: Record<'sqlite' | 'postgres', Dialect> = {
  sqlite: { concat: (e) => `group_concat(${e}, ',')`, text: (c) => `CAST(${c} AS TEXT)`, quote: (c) => `json_quote(${c})`, infinity: '9e999' },
  postgres: { concat: (e) => `string_agg(${e}, ',')`, text: (c) => `${c}::text`, quote: (c) => `to_json(${c})::text`, infinity: `'Infinity'::float8` },
}

const historyOrder = 'ORDER BY step, timestamp, seq'

/**
 * The page statement. Parameters, in order: the key as a JSON string literal, the run id, the key,
 * the limit (all rows: -1 on SQLite, NULL on PostgreSQL), the offset. Answers one row: `json` (the
 * objects joined by commas, no brackets; NULL for an empty page) and `n` (how many).
 *
 * The aggregate reads the subquery's rows in its ORDER BY: the subquery has a LIMIT, so neither
 * database flattens it, and both feed an ordered, limited subquery to the aggregate row by row
 * (PostgreSQL documents this use; an ORDER BY inside the aggregate would sort the strings again, and
 * on PostgreSQL spill 100,000 of them to disk). The contract suite checks the order on histories
 * logged out of order, with ties on step and timestamp.
 */
export function metricHistoryJsonSql(dialectName: 'sqlite' | 'postgres'): string {
  const d = dialects[dialectName]
  const optional = (field: string) => `CASE WHEN ${field} IS NULL THEN '' ELSE ',"${field}":' || ${d.quote(field)} END`
  const value = `CASE WHEN is_nan <> 0 THEN '"NaN"' WHEN value = ${d.infinity} THEN '"Infinity"' WHEN value = -${d.infinity} THEN '"-Infinity"'
    ELSE ${d.text('value')} END`
  // Metrics rarely carry a dataset or a model: one test skips the three optional fields' work.
  const optionals = `CASE WHEN dataset_name IS NULL AND dataset_digest IS NULL AND model_id IS NULL THEN ''
    ELSE ${optional('dataset_name')} || ${optional('dataset_digest')} || ${optional('model_id')} END`
  const object = `'{"key":' || ? || ',"value":' || ${value} || ',"timestamp":' || ${d.text('timestamp')} || ',"step":' || ${d.text('step')}
    || ${optionals} || '}'`
  return `SELECT ${d.concat('j')} AS json, count(*) AS n FROM (
    SELECT ${object} AS j FROM metrics WHERE run_uuid = ? AND key = ? ${historyOrder} LIMIT ? OFFSET ?) page`
}

/** Whether a history has a point at a given offset (parameters: run id, key, offset): a next page. */
export const metricHistoryHasPointSql = `SELECT 1 AS found FROM metrics WHERE run_uuid = ? AND key = ? ${historyOrder} LIMIT 1 OFFSET ?`
