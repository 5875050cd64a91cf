import { invalidParameter } from '../../errors.js'
import type { OrderTerm, SearchClause, SearchValue } from '../../tracking/search/filter-ast.js'

/** A piece of SQL and the values bound to its `?` placeholders, in order. */
export interface SqlFragment {
  readonly sql: string
  readonly params: readonly unknown[]
}

/**
 * How one searchable table maps the grammar onto SQL: the row alias and id column, the columns
 * behind attributes, and the side tables holding metrics, params and tags for a row. All names here
 * are constants of Wharf's schema; user text only ever reaches SQL as bound parameters.
 */
export interface SearchTarget {
  readonly alias: string
  readonly idColumn: string
  readonly attributes: Readonly<Record<string, string>>
  readonly metricTable?: string
  readonly paramTable?: string
  readonly tagTable?: string
  /** Runs only: datasets logged as inputs, matched by name, digest or context tag. */
  readonly datasets?: boolean
}

const sqlComparators: Readonly<Record<string, string>> = {
  '=': '=',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  LIKE: 'LIKE',
  ILIKE: 'LIKE',
}

/** `value` compared to `column`; ILIKE folds both sides (LIKE itself is case-sensitive on our connections). */
function compare(column: string, comparator: SearchClause['comparator'], value: SearchValue): SqlFragment {
  if (comparator === 'IN' || comparator === 'NOT IN') {
    const list = value as readonly string[]
    if (list.length === 0) return { sql: comparator === 'IN' ? 'FALSE' : 'TRUE', params: [] }
    return { sql: `${column} ${comparator} (${list.map(() => '?').join(', ')})`, params: list }
  }
  const op = sqlComparators[comparator]
  if (op === undefined) throw invalidParameter(`Unsupported comparator '${comparator}'`)
  if (comparator === 'ILIKE') return { sql: `lower(${column}) LIKE lower(?)`, params: [value] }
  return { sql: `${column} ${op} ?`, params: [value] }
}

function sideTable(table: string | undefined, entity: string): string {
  if (table === undefined) throw invalidParameter(`Searching by ${entity} is not supported here`)
  return table
}

function clauseToSql(target: SearchTarget, clause: SearchClause): SqlFragment {
  const row = `${target.alias}.${target.idColumn}`
  switch (clause.entity) {
    case 'attribute': {
      const column = target.attributes[clause.key]
      if (column === undefined) throw invalidParameter(`Invalid attribute key '${clause.key}'`)
      return compare(`${target.alias}.${column}`, clause.comparator, clause.value)
    }
    case 'metric': {
      const table = sideTable(target.metricTable, 'metrics')
      const cmp = compare('s.value', clause.comparator, clause.value)
      return {
        sql: `EXISTS (SELECT 1 FROM ${table} s WHERE s.owner_id = ${row} AND s.key = ? AND s.is_nan = 0 AND ${cmp.sql})`,
        params: [clause.key, ...cmp.params],
      }
    }
    case 'param':
    case 'tag': {
      const table = sideTable(clause.entity === 'param' ? target.paramTable : target.tagTable, `${clause.entity}s`)
      const cmp = compare('s.value', clause.comparator, clause.value)
      return { sql: `EXISTS (SELECT 1 FROM ${table} s WHERE s.owner_id = ${row} AND s.key = ? AND ${cmp.sql})`, params: [clause.key, ...cmp.params] }
    }
    case 'dataset': {
      if (!target.datasets) throw invalidParameter('Searching by datasets is not supported here')
      const column = clause.key === 'name' ? 'd.name' : clause.key === 'digest' ? 'd.digest' : 't.value'
      const cmp = compare(column, clause.comparator, clause.value)
      const contextJoin = clause.key === 'context' ? "JOIN run_input_tags t ON t.input_id = i.input_id AND t.key = 'mlflow.data.context'" : ''
      return {
        sql: `EXISTS (SELECT 1 FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id ${contextJoin} WHERE i.run_uuid = ${row} AND ${cmp.sql})`,
        params: cmp.params,
      }
    }
  }
}

/** `AND`-joined WHERE conditions for the clauses (MLflow's grammar has no OR). */
export function whereSql(target: SearchTarget, clauses: readonly SearchClause[]): SqlFragment {
  const parts = clauses.map((c) => clauseToSql(target, c))
  return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), params: parts.flatMap((p) => p.params) }
}

/**
 * LEFT JOINs and ORDER BY items for the order terms. Rows lacking the ordered key sort last in both
 * directions, and NaN sorts after every number when ascending, as in MLflow's SQL store.
 */
export function orderSql(target: SearchTarget, terms: readonly OrderTerm[]): { joins: SqlFragment; orderBy: string[] } {
  const joins: string[] = []
  const joinParams: unknown[] = []
  const orderBy: string[] = []
  terms.forEach((term, i) => {
    const dir = term.ascending ? 'ASC' : 'DESC'
    if (term.entity === 'attribute') {
      const column = target.attributes[term.key]
      if (column === undefined) throw invalidParameter(`Invalid order_by attribute '${term.key}'`)
      orderBy.push(`(${target.alias}.${column} IS NULL)`, `${target.alias}.${column} ${dir}`)
      return
    }
    const table =
      term.entity === 'metric' ? target.metricTable : term.entity === 'param' ? target.paramTable : term.entity === 'tag' ? target.tagTable : undefined
    if (table === undefined) throw invalidParameter(`Ordering by ${term.entity} is not supported here`)
    const j = `o${i}`
    joins.push(`LEFT JOIN ${table} ${j} ON ${j}.owner_id = ${target.alias}.${target.idColumn} AND ${j}.key = ?`)
    joinParams.push(term.key)
    orderBy.push(`(${j}.owner_id IS NULL)`)
    if (term.entity === 'metric') orderBy.push(`${j}.is_nan ${dir}`)
    orderBy.push(`${j}.value ${dir}`)
  })
  return { joins: { sql: joins.join(' '), params: joinParams }, orderBy }
}

/** Page tokens are opaque to clients; ours carry the offset of the next page. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url')
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown
    const offset = (parsed as { offset?: unknown } | null)?.offset
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset
  } catch {
    // fall through to the error below
  }
  throw invalidParameter(`Invalid page token '${token.slice(0, 64)}'`)
}
