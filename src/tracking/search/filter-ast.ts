/**
 * The parsed form of MLflow's search grammar (filter strings and order_by items), shared by every
 * search endpoint. Stores translate it to SQL with bound parameters; nothing pastes user text into SQL.
 */
export type SearchEntity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset'

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN'

/** A number for numeric comparisons, a string for string ones, a list for IN / NOT IN. */
export type SearchValue = number | string | readonly string[]

export interface SearchClause {
  readonly entity: SearchEntity
  /** For attributes the canonical name (`run_name`, `start_time`, ...); otherwise the user's key, unquoted. */
  readonly key: string
  readonly comparator: Comparator
  readonly value: SearchValue
}

export interface OrderTerm {
  readonly entity: SearchEntity
  readonly key: string
  readonly ascending: boolean
}
