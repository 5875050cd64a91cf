import type { Comparator, SearchEntity } from './filter-ast.js'

/**
 * What one search endpoint accepts, read off MLflow's SearchUtils subclasses in
 * mlflow/utils/search_utils.py (SearchUtils for runs, SearchExperimentsUtils, SearchModelUtils,
 * SearchModelVersionUtils, SearchLoggedModelsUtils). `integer` is a number that must be whole,
 * because MLflow calls int() on it (timestamps in milliseconds).
 */
export type SearchValueType = 'string' | 'number' | 'integer'

/** How a key may be used: in filters with these comparators, and/or in order_by. */
export interface KeyRule {
  readonly valueType: SearchValueType
  /** Comparators allowed in a filter; empty when the key can only be ordered by. */
  readonly comparators: readonly Comparator[]
  readonly orderable: boolean
}

/** A built-in column. Filters and order_by accept `name` or any alias; the AST carries `name`. */
export interface AttributeRule extends KeyRule {
  readonly name: string
  readonly aliases: readonly string[]
}

/** Metrics, params, tags and datasets: any key (or one of `keys`), all with the same rule. */
export interface EntityRule extends KeyRule {
  readonly keys?: readonly string[]
}

export interface SearchGrammar {
  /** What is searched, for error messages ("runs", "experiments", ...). */
  readonly subject: string
  /** Entity prefixes as written before the first dot (`metrics`, `params`, ...). */
  readonly prefixes: Readonly<Record<string, SearchEntity>>
  readonly attributes: readonly AttributeRule[]
  readonly entities: Readonly<Partial<Record<Exclude<SearchEntity, 'attribute'>, EntityRule>>>
}

const NUMERIC: readonly Comparator[] = ['>', '>=', '<', '<=', '=', '!=']
const STRING: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE']
const STRING_OR_LIST: readonly Comparator[] = [...STRING, 'IN', 'NOT IN']
const ORDER_ONLY: readonly Comparator[] = []

function attr(
  name: string,
  valueType: SearchValueType,
  comparators: readonly Comparator[],
  orderable: boolean,
  aliases: readonly string[] = [],
): AttributeRule {
  return { name, valueType, comparators, orderable, aliases }
}

const metrics: EntityRule = { valueType: 'number', comparators: NUMERIC, orderable: true }
const params: EntityRule = { valueType: 'string', comparators: STRING, orderable: true }
const tags: EntityRule = { valueType: 'string', comparators: STRING, orderable: true }
const filterOnlyTags: EntityRule = { ...tags, orderable: false }

// SearchUtils._valid_entity_type; the registry and experiment searches accept only these three.
const ATTRIBUTE_AND_TAG_PREFIXES: Readonly<Record<string, SearchEntity>> = {
  attribute: 'attribute',
  tag: 'tag',
  tags: 'tag',
}
const METRIC_PARAM_TAG_PREFIXES: Readonly<Record<string, SearchEntity>> = {
  ...ATTRIBUTE_AND_TAG_PREFIXES,
  attributes: 'attribute',
  attr: 'attribute',
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
}

/** runs/search (docs/protocols.md §1.5). Runs order by metrics, params, tags and attributes. */
export const runGrammar: SearchGrammar = {
  subject: 'runs',
  prefixes: { ...METRIC_PARAM_TAG_PREFIXES, run: 'attribute', dataset: 'dataset', datasets: 'dataset' },
  attributes: [
    attr('run_id', 'string', STRING_OR_LIST, true),
    attr('run_name', 'string', STRING, true, ['run name', 'Run name', 'Run Name']),
    attr('status', 'string', STRING, true),
    attr('user_id', 'string', STRING, true),
    attr('artifact_uri', 'string', STRING, true),
    attr('start_time', 'integer', NUMERIC, true, ['created', 'Created']),
    attr('end_time', 'integer', NUMERIC, true),
  ],
  entities: {
    metric: metrics,
    param: params,
    tag: tags,
    dataset: { valueType: 'string', comparators: STRING_OR_LIST, orderable: false, keys: ['name', 'digest', 'context'] },
  },
}

/** experiments/search (docs/protocols.md §1.2); MLflow orders experiments by attributes only. */
export const experimentGrammar: SearchGrammar = {
  subject: 'experiments',
  prefixes: ATTRIBUTE_AND_TAG_PREFIXES,
  attributes: [
    attr('name', 'string', STRING, true),
    attr('creation_time', 'number', NUMERIC, true),
    attr('last_update_time', 'number', NUMERIC, true),
    attr('experiment_id', 'string', ORDER_ONLY, true),
  ],
  entities: { tag: filterOnlyTags },
}

/** registered-models/search (docs/protocols.md §3.3). `timestamp` is MLflow's older order_by key. */
export const registeredModelGrammar: SearchGrammar = {
  subject: 'registered models',
  prefixes: ATTRIBUTE_AND_TAG_PREFIXES,
  attributes: [
    attr('name', 'string', STRING, true),
    attr('last_updated_timestamp', 'integer', ORDER_ONLY, true, ['timestamp']),
    attr('creation_timestamp', 'integer', ORDER_ONLY, true),
  ],
  entities: { tag: filterOnlyTags },
}

/** model-versions/search (docs/protocols.md §3.3). */
export const modelVersionGrammar: SearchGrammar = {
  subject: 'model versions',
  prefixes: ATTRIBUTE_AND_TAG_PREFIXES,
  attributes: [
    attr('name', 'string', STRING, true),
    attr('run_id', 'string', STRING_OR_LIST, false),
    attr('source_path', 'string', STRING, false),
    attr('version_number', 'number', NUMERIC, true),
    attr('creation_timestamp', 'integer', ORDER_ONLY, true),
    attr('last_updated_timestamp', 'integer', ORDER_ONLY, true),
  ],
  entities: { tag: filterOnlyTags },
}

/**
 * logged-models/search (docs/protocols.md §1.8). SearchLoggedModelsUtils lets every string attribute take
 * a list, and orders by attributes and `metrics.<key>` only.
 */
export const loggedModelGrammar: SearchGrammar = {
  subject: 'logged models',
  prefixes: METRIC_PARAM_TAG_PREFIXES,
  attributes: [
    attr('name', 'string', STRING_OR_LIST, true),
    attr('model_id', 'string', STRING_OR_LIST, true),
    attr('model_type', 'string', STRING_OR_LIST, true),
    attr('status', 'string', STRING_OR_LIST, true),
    attr('source_run_id', 'string', STRING_OR_LIST, true),
    attr('creation_timestamp', 'integer', NUMERIC, true, ['creation_time']),
    attr('last_updated_timestamp', 'integer', NUMERIC, true, ['last_updated_time']),
  ],
  entities: { metric: metrics, param: { ...params, orderable: false }, tag: filterOnlyTags },
}
