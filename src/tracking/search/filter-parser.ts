/**
 * Recursive-descent parser for MLflow's search grammar (docs/protocols.md §1.5 and §3.3):
 *
 *   filter     := clause (AND clause)*
 *   clause     := identifier comparator value
 *   identifier := [prefix "."] key          key: word(.word)* | "quoted" | `quoted`
 *   comparator := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
 *   value      := number | 'string' | "string" | "(" string ("," string)* [","] ")"
 *   order item := identifier [ASC | DESC]
 *
 * Keywords are case-insensitive; entity prefixes and attribute names are not, as in MLflow.
 * Every rejection is an INVALID_PARAMETER_VALUE error that quotes the offending text.
 */
import { invalidParameter } from '../../errors.js'
import type { Comparator, OrderTerm, SearchClause, SearchEntity } from './filter-ast.js'
import type { KeyRule, SearchGrammar } from './grammars.js'
import { tokenize, type Fail, type Token } from './tokenizer.js'

// Bare words that cannot start a key, so `a = 1 AND AND b = 2` reads as an empty clause.
const RESERVED = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE'])

class Cursor {
  readonly #tokens: Token[]
  #index = 0

  constructor(
    source: string,
    readonly fail: Fail,
  ) {
    this.#tokens = tokenize(source, fail)
  }

  peek(): Token {
    return this.#tokens[this.#index] as Token
  }

  next(): Token {
    const token = this.peek()
    if (token.kind !== 'end') this.#index++
    return token
  }
}

/** The upper-cased word when `token` is a single bare word, so keywords match in any case. */
function keywordOf(token: Token): string | undefined {
  if (token.kind !== 'identifier' || token.parts.length !== 1) return undefined
  const part = token.parts[0]
  return part === undefined || part.quote !== undefined ? undefined : part.text.toUpperCase()
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'the end'
  // A string literal already shows its own quotes.
  const shown = token.kind === 'string' ? token.raw : `'${token.raw}'`
  return `${shown} at position ${token.start}`
}

export function parseFilter(filter: string | undefined, grammar: SearchGrammar): SearchClause[] {
  if (filter === undefined || filter.trim() === '') return []
  const cursor = new Cursor(filter, (detail) => invalidParameter(`Invalid filter '${filter}': ${detail}`))
  const clauses = [parseClause(cursor, grammar)]
  while (cursor.peek().kind !== 'end') {
    const token = cursor.next()
    if (keywordOf(token) !== 'AND') {
      rejectUnsupported(cursor, token)
      throw cursor.fail(`expected AND or the end of the filter, got ${describe(token)}`)
    }
    clauses.push(parseClause(cursor, grammar))
  }
  return clauses
}

export function parseOrderBy(items: readonly string[] | undefined, grammar: SearchGrammar): OrderTerm[] {
  return (items ?? []).map((item) => parseOrderItem(item, grammar))
}

function parseOrderItem(item: string, grammar: SearchGrammar): OrderTerm {
  const cursor = new Cursor(item, (detail) => invalidParameter(`Invalid order_by item '${item}': ${detail}`))
  const token = cursor.next()
  if (token.kind === 'end') throw cursor.fail('it is empty; expected a key such as start_time or metrics.rmse')
  if (token.kind !== 'identifier') throw cursor.fail(`expected a key, got ${describe(token)}`)
  const { entity, key } = resolveKey(cursor, token, grammar, 'order')
  const direction = keywordOf(cursor.peek())
  if (direction === 'ASC' || direction === 'DESC') cursor.next()
  const rest = cursor.next()
  if (rest.kind !== 'end') throw cursor.fail(`expected ASC, DESC or nothing after '${token.raw}', got ${describe(rest)}`)
  return { entity, key, ascending: direction !== 'DESC' }
}

function parseClause(cursor: Cursor, grammar: SearchGrammar): SearchClause {
  const token = cursor.next()
  rejectUnsupported(cursor, token)
  if (token.kind === 'end') throw cursor.fail('empty clause at the end; remove the trailing AND or add a condition')
  const keyword = keywordOf(token)
  if (keyword === 'AND') throw cursor.fail(`empty clause before 'AND' at position ${token.start}`)
  if (token.kind !== 'identifier' || (keyword !== undefined && RESERVED.has(keyword))) {
    throw cursor.fail(`expected a key such as metrics.rmse or tags."my key", got ${describe(token)}`)
  }
  const { entity, key, rule } = resolveKey(cursor, token, grammar, 'filter')
  const comparator = parseComparator(cursor, token)
  const where = `'${token.raw} ${comparator}'`
  if (!rule.comparators.includes(comparator)) {
    throw cursor.fail(`comparator '${comparator}' is not allowed for '${token.raw}'; use one of ${rule.comparators.join(', ')}`)
  }
  const value = comparator === 'IN' || comparator === 'NOT IN' ? parseList(cursor, where) : parseScalar(cursor, rule, where)
  return { entity, key, comparator, value }
}

/** OR and grouping parentheses get their own message: they are the likeliest SQL habits. */
function rejectUnsupported(cursor: Cursor, token: Token): void {
  if (keywordOf(token) === 'OR') {
    throw cursor.fail(`'OR' at position ${token.start} is not supported; MLflow filters combine clauses with AND only`)
  }
  if (token.kind === '(' || token.kind === ')') {
    throw cursor.fail(
      `'${token.raw}' at position ${token.start}: parentheses for grouping are not supported; MLflow filters are a flat list of clauses joined by AND`,
    )
  }
}

function parseComparator(cursor: Cursor, key: Token): Comparator {
  const token = cursor.next()
  if (token.kind === 'operator') return token.raw as Comparator
  const keyword = keywordOf(token)
  if (keyword === 'LIKE' || keyword === 'ILIKE' || keyword === 'IN') return keyword
  if (keyword === 'NOT') {
    const after = cursor.next()
    if (keywordOf(after) === 'IN') return 'NOT IN'
    throw cursor.fail(`expected IN after 'NOT', got ${describe(after)}`)
  }
  const comparators = '=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN'
  throw cursor.fail(`expected a comparator (${comparators}) after '${key.raw}', got ${describe(token)}`)
}

/** A single value. Double-quoted text reaches us as an identifier, as it does in sqlparse. */
function parseScalar(cursor: Cursor, rule: KeyRule, where: string): number | string {
  const token = cursor.next()
  if (token.kind === '(') throw cursor.fail(`a list ${describe(token)} is only allowed with IN and NOT IN, not ${where}`)
  if (rule.valueType === 'string') {
    const text = stringValueOf(token)
    if (text === undefined) throw cursor.fail(`${where} needs a quoted string such as 'value', got ${describe(token)}`)
    return text
  }
  if (token.kind !== 'number') throw cursor.fail(`${where} needs a number, got ${describe(token)}`)
  // MLflow int()s these (millisecond timestamps); 1.5 would crash there, so reject it here.
  if (rule.valueType === 'integer' && !Number.isSafeInteger(token.value)) {
    throw cursor.fail(`${where} needs a whole number, got ${describe(token)}`)
  }
  return token.value
}

function stringValueOf(token: Token): string | undefined {
  if (token.kind === 'string') return token.value
  const part = token.kind === 'identifier' && token.parts.length === 1 ? token.parts[0] : undefined
  return part?.quote === '"' ? part.text : undefined
}

/**
 * ('a', 'b'). A trailing comma is accepted because Python clients often build the list with
 * f"run_id IN {tuple(ids)}", which prints ('a',) for one id.
 */
function parseList(cursor: Cursor, where: string): readonly string[] {
  const open = cursor.next()
  if (open.kind !== '(') throw cursor.fail(`${where} needs a parenthesised list such as ('a', 'b'), got ${describe(open)}`)
  const values: string[] = []
  for (;;) {
    const token = cursor.next()
    if (token.kind === ')' && values.length > 0) return values
    const text = stringValueOf(token)
    if (text === undefined) {
      const problem = token.kind === 'end' ? `the list opened at position ${open.start} is never closed` : `got ${describe(token)}`
      throw cursor.fail(`${where} needs a non-empty list of quoted strings such as ('a', 'b'); ${problem}`)
    }
    values.push(text)
    const separator = cursor.next()
    if (separator.kind === ')') return values
    if (separator.kind !== ',') {
      throw cursor.fail(`expected ',' or ')' in the list after ${describe(token)}, got ${describe(separator)}`)
    }
    if (cursor.peek().kind === ')') {
      cursor.next()
      return values
    }
  }
}

type Purpose = 'filter' | 'order'

/** Splits `prefix.key`, checks both against the grammar, and canonicalises attribute names. */
function resolveKey(
  cursor: Cursor,
  token: Token & { kind: 'identifier' },
  grammar: SearchGrammar,
  purpose: Purpose,
): { entity: SearchEntity; key: string; rule: KeyRule } {
  const [head, ...rest] = token.parts
  if (head === undefined) throw cursor.fail(`expected a key, got ${describe(token)}`)
  if (rest.some((part) => part.quote !== undefined) && rest.length > 1) {
    throw cursor.fail(`quote the whole key after the prefix, e.g. tags.\`a.b\`, not '${token.raw}'`)
  }
  const prefix = rest.length > 0 ? head.text : undefined
  const key = rest.length > 0 ? rest.map((part) => part.text).join('.') : head.text
  if (prefix !== undefined && !Object.hasOwn(grammar.prefixes, prefix)) {
    const known = Object.keys(grammar.prefixes).join(', ')
    throw cursor.fail(`unknown entity '${prefix}' in '${token.raw}'; ${grammar.subject} accept ${known}`)
  }
  const entity = prefix === undefined ? 'attribute' : (grammar.prefixes[prefix] as SearchEntity)
  return entity === 'attribute' ? resolveAttribute(cursor, key, grammar, purpose) : resolveEntityKey(cursor, entity, key, token.raw, grammar, purpose)
}

function resolveAttribute(cursor: Cursor, key: string, grammar: SearchGrammar, purpose: Purpose) {
  const usable = grammar.attributes.filter((a) => (purpose === 'order' ? a.orderable : a.comparators.length > 0))
  const rule = usable.find((a) => a.name === key || a.aliases.includes(key))
  if (rule === undefined) {
    const use = purpose === 'order' ? 'order by' : 'filter on'
    throw cursor.fail(`unknown attribute '${key}'; ${grammar.subject} can ${use} ${usable.map((a) => a.name).join(', ')}`)
  }
  return { entity: 'attribute' as const, key: rule.name, rule }
}

function resolveEntityKey(cursor: Cursor, entity: Exclude<SearchEntity, 'attribute'>, key: string, raw: string, grammar: SearchGrammar, purpose: Purpose) {
  const rule = grammar.entities[entity]
  const isUsable = rule !== undefined && (purpose === 'order' ? rule.orderable : rule.comparators.length > 0)
  if (!isUsable) {
    throw cursor.fail(`'${raw}': ${grammar.subject} cannot ${purpose === 'order' ? 'be ordered by' : 'be filtered on'} ${entity}s`)
  }
  if (key === '') throw cursor.fail(`'${raw}' has an empty key`)
  if (rule.keys !== undefined && !rule.keys.includes(key)) {
    throw cursor.fail(`unknown ${entity} key '${key}'; use one of ${rule.keys.join(', ')}`)
  }
  return { entity, key, rule }
}
