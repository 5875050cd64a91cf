import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MlflowError } from '../../errors.js'
import type { SearchClause } from './filter-ast.js'
import { parseFilter, parseOrderBy } from './filter-parser.js'
import { experimentGrammar, loggedModelGrammar, modelVersionGrammar, registeredModelGrammar, runGrammar, type SearchGrammar } from './grammars.js'

/** Asserts an INVALID_PARAMETER_VALUE MlflowError whose message contains every fragment. */
function assertRejects(run: () => unknown, ...fragments: string[]): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof MlflowError, `expected an MlflowError, got ${String(err)}`)
    assert.equal(err.code, 'INVALID_PARAMETER_VALUE')
    assert.equal(err.status, 400)
    for (const fragment of fragments) {
      assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`)
    }
    return true
  })
}

const clause = (entity: SearchClause['entity'], key: string, comparator: SearchClause['comparator'], value: SearchClause['value']): SearchClause => ({
  entity,
  key,
  comparator,
  value,
})

const runs = (filter: string) => parseFilter(filter, runGrammar)

describe('parseFilter on runs', () => {
  it('returns no clauses for a missing, empty or blank filter', () => {
    assert.deepEqual(parseFilter(undefined, runGrammar), [])
    assert.deepEqual(runs(''), [])
    assert.deepEqual(runs('  \t\n '), [])
  })

  it('parses the documented example with every entity kind', () => {
    const filter = "metrics.rmse < 1 and params.model = 'lr' and tags.`team name` LIKE 'ml%' and attributes.status = 'FINISHED'"
    assert.deepEqual(runs(filter), [
      clause('metric', 'rmse', '<', 1),
      clause('param', 'model', '=', 'lr'),
      clause('tag', 'team name', 'LIKE', 'ml%'),
      clause('attribute', 'status', '=', 'FINISHED'),
    ])
  })

  const valid: [string, SearchClause[]][] = [
    ["attributes.run_id IN ('a','b')", [clause('attribute', 'run_id', 'IN', ['a', 'b'])]],
    ["run_id NOT IN ('a', 'b' , 'c')", [clause('attribute', 'run_id', 'NOT IN', ['a', 'b', 'c'])]],
    ["run_id in ('a',)", [clause('attribute', 'run_id', 'IN', ['a'])]],
    ['run_id not  in ("a")', [clause('attribute', 'run_id', 'NOT IN', ['a'])]],
    ["run_name = 'x'", [clause('attribute', 'run_name', '=', 'x')]],
    ["`run name` = 'x'", [clause('attribute', 'run_name', '=', 'x')]],
    ['"run name" != \'x\'', [clause('attribute', 'run_name', '!=', 'x')]],
    ["attributes.`Run Name` ILIKE '%x%'", [clause('attribute', 'run_name', 'ILIKE', '%x%')]],
    ["tags.mlflow.runName = 'y'", [clause('tag', 'mlflow.runName', '=', 'y')]],
    ['metrics."a b" >= -1.5e3', [clause('metric', 'a b', '>=', -1500)]],
    ['metrics.`a-b` <= .5', [clause('metric', 'a-b', '<=', 0.5)]],
    ['metrics."a.b" != 2E2', [clause('metric', 'a.b', '!=', 200)]],
    ['metrics.acc > -0.25', [clause('metric', 'acc', '>', -0.25)]],
    ['metric.acc = 1.', [clause('metric', 'acc', '=', 1)]],
    ['metrics.loss<1e-3', [clause('metric', 'loss', '<', 0.001)]],
    ["param.lr = '0.1'", [clause('param', 'lr', '=', '0.1')]],
    ["parameter.lr = '0.1'", [clause('param', 'lr', '=', '0.1')]],
    ["parameters.lr = '0.1'", [clause('param', 'lr', '=', '0.1')]],
    ["tag.x like 'a_%'", [clause('tag', 'x', 'LIKE', 'a_%')]],
    ["tags.x Ilike 'A%'", [clause('tag', 'x', 'ILIKE', 'A%')]],
    ['tags.x = "double"', [clause('tag', 'x', '=', 'double')]],
    ["tags.x = 'it''s'", [clause('tag', 'x', '=', "it's")]],
    ["tags.x = 'it\\'s'", [clause('tag', 'x', '=', "it's")]],
    ['tags.x = "say ""hi"""', [clause('tag', 'x', '=', 'say "hi"')]],
    ["tags.x = ''", [clause('tag', 'x', '=', '')]],
    ["tags.x = 'a AND b = 1'", [clause('tag', 'x', '=', 'a AND b = 1')]],
    ["tags.'single quoted' = 'v'", [clause('tag', 'single quoted', '=', 'v')]],
    ["`tags`.x = 'v'", [clause('tag', 'x', '=', 'v')]],
    ['tags."mlflow.user" = \'me\'', [clause('tag', 'mlflow.user', '=', 'me')]],
    ["tags.データ = 'v'", [clause('tag', 'データ', '=', 'v')]],
    ["attr.user_id = 'me'", [clause('attribute', 'user_id', '=', 'me')]],
    ["run.artifact_uri LIKE 's3://%'", [clause('attribute', 'artifact_uri', 'LIKE', 's3://%')]],
    ['created > 5', [clause('attribute', 'start_time', '>', 5)]],
    ['Created <= 1700000000000', [clause('attribute', 'start_time', '<=', 1700000000000)]],
    ['attribute.end_time != 0', [clause('attribute', 'end_time', '!=', 0)]],
    ['start_time >= 1e3', [clause('attribute', 'start_time', '>=', 1000)]],
    ["dataset.name = 'train'", [clause('dataset', 'name', '=', 'train')]],
    ["datasets.digest IN ('d1', 'd2')", [clause('dataset', 'digest', 'IN', ['d1', 'd2'])]],
    ["datasets.context NOT IN ('eval')", [clause('dataset', 'context', 'NOT IN', ['eval'])]],
    ["datasets.name ILIKE 'tr%'", [clause('dataset', 'name', 'ILIKE', 'tr%')]],
    ["  metrics.a=1   AND\n\ttags.b='c'  ", [clause('metric', 'a', '=', 1), clause('tag', 'b', '=', 'c')]],
  ]
  for (const [filter, expected] of valid) {
    it(`parses ${filter.trim()}`, () => assert.deepEqual(runs(filter), expected))
  }

  it('treats AND, LIKE, ILIKE, IN and NOT IN as case-insensitive keywords', () => {
    assert.deepEqual(runs("tags.a LiKe 'x' aNd run_id nOt In ('r') AnD tags.b iLiKe 'y'"), [
      clause('tag', 'a', 'LIKE', 'x'),
      clause('attribute', 'run_id', 'NOT IN', ['r']),
      clause('tag', 'b', 'ILIKE', 'y'),
    ])
  })

  it('keeps backslashes that do not escape a quote', () => {
    assert.deepEqual(runs("tags.path = 'C:\\dir\\\\x'"), [clause('tag', 'path', '=', 'C:\\dir\\x')])
  })
})

describe('parseFilter rejects bad run filters', () => {
  const bad: [string, string, ...string[]][] = [
    ['metrics.x < 1 OR metrics.y > 2', "'OR' at position 14", 'AND only'],
    ['metrics.x < 1 or metrics.y > 2', "'OR'"],
    ["(tags.a = 'x')", "'(' at position 0", 'parentheses'],
    ["tags.a = 'x' AND (tags.b = 'y')", "'(' at position 17", 'parentheses'],
    ["tags.a = 'x')", "')' at position 12", 'parentheses'],
    ["tags.a = 'x' AND", 'empty clause at the end'],
    ["AND tags.a = 'x'", "empty clause before 'AND' at position 0"],
    ["tags.a = 'x' AND AND tags.b = 'y'", "empty clause before 'AND' at position 17"],
    ["tags.a = 'x' tags.b = 'y'", "expected AND or the end of the filter, got 'tags.b' at position 13"],
    ["tags.a = 'x' 'y'", "got 'y' at position 13"],
    ["tags.a = 'x';", "unexpected character ';' at position 12"],
    ['metrics.a-b > 1', "unexpected character '-' at position 9", 'metrics.`a-b`'],
    ['metric2.x > 1', "unknown entity 'metric2' in 'metric2.x'", 'metrics'],
    ['Metrics.x > 1', "unknown entity 'Metrics'"],
    ['mlflow.runName = 1', "unknown entity 'mlflow'"],
    ["bogus = 'x'", "unknown attribute 'bogus'", 'run_id, run_name'],
    ["attributes.experiment_id = '1'", "unknown attribute 'experiment_id'"],
    ["datasets.schema = 'x'", "unknown dataset key 'schema'", 'name, digest, context'],
    ["tags.`` = 'x'", 'empty key'],
    ["tags.a.`b` = 'x'", 'quote the whole key'],
    ["tags. a = 'x'", "expected a key after 'tags.' at position 5"],
    ["tags.a = 'abc", 'unterminated quote', "'abc"],
    ["tags.`abc = 'x'", 'unterminated quote', '`abc'],
    ["tags.\"abc = 'x'", 'unterminated quote'],
    ["tags.a = 'x' AND tags.b = 'it''", 'unterminated quote'],
    ["tags.a > 'x'", "comparator '>' is not allowed for 'tags.a'", '=, !=, LIKE, ILIKE'],
    ["params.a IN ('x')", "comparator 'IN' is not allowed for 'params.a'"],
    ['metrics.a LIKE 1', "comparator 'LIKE' is not allowed for 'metrics.a'", '>, >=, <, <=, =, !='],
    ["status IN ('RUNNING')", "comparator 'IN' is not allowed for 'status'"],
    ["run_name NOT IN ('x')", "comparator 'NOT IN' is not allowed for 'run_name'"],
    ["start_time LIKE '1%'", "comparator 'LIKE' is not allowed for 'start_time'"],
    ["metrics.a = 'x'", "'metrics.a =' needs a number, got 'x' at position 12"],
    ['metrics.a = abc', "needs a number, got 'abc'"],
    ['metrics.a =', 'needs a number, got the end'],
    ["start_time > '5'", "'start_time >' needs a number"],
    ['start_time > 1.5', "'start_time >' needs a whole number, got '1.5'"],
    ['end_time < 1e-3', 'needs a whole number'],
    ['tags.a = 1', "'tags.a =' needs a quoted string such as 'value', got '1' at position 9"],
    ['status = FINISHED', 'needs a quoted string', "'FINISHED'"],
    ['params.a = `x`', 'needs a quoted string', "'`x`'"],
    ["run_id = ('a')", "a list '(' at position 9 is only allowed with IN and NOT IN"],
    ["run_id IN 'a'", "'run_id IN' needs a parenthesised list such as ('a', 'b'), got 'a'"],
    ['run_id IN ()', 'needs a non-empty list of quoted strings', "got ')'"],
    ['run_id IN (1, 2)', "needs a non-empty list of quoted strings such as ('a', 'b'); got '1'"],
    ["run_id IN ('a' 'b')", "expected ',' or ')' in the list after 'a' at position 11, got 'b'"],
    ["run_id IN ('a',", 'the list opened at position 10 is never closed'],
    ["run_id IN ('a'", "expected ',' or ')'", 'got the end'],
    ["run_id IN ('a',,'b')", "got ','"],
    ['datasets.name IN ()', 'non-empty list'],
    ["tags.a == 'x'", "unknown comparator '=='"],
    ['metrics.a <> 1', "unknown comparator '<>'"],
    ["tags.a 'x'", 'expected a comparator', "after 'tags.a', got 'x'"],
    ['tags.a IS NULL', 'expected a comparator', "'IS'"],
    ['tags.a', 'expected a comparator', 'got the end'],
    ["tags.a NOT LIKE 'x'", "expected IN after 'NOT', got 'LIKE'"],
    ['1 = 1', 'expected a key such as metrics.rmse', "got '1' at position 0"],
    ["'x' = tags.a", 'expected a key', "got 'x' at position 0"],
    ["= 'x'", 'expected a key', "'=' at position 0"],
    ["like = 'x'", 'expected a key', "'like'"],
    ['metrics.a > 1abc', "invalid number '1abc' at position 12"],
    ['metrics.a > 1.2.3', "invalid number '1.2.3'"],
    ['metrics.a > 1e999', "number '1e999' at position 12 is out of range"],
    ['metrics.a > - 1', "unexpected character '-'"],
    ["tags.a = 'x' # comment", "unexpected character '#'"],
  ]
  for (const [filter, ...fragments] of bad) {
    it(`rejects ${filter} with a message quoting the problem`, () => {
      assertRejects(() => runs(filter), `Invalid filter '${filter}'`, ...fragments)
    })
  }
})

describe('parseFilter on the other endpoints', () => {
  const cases: [SearchGrammar, string, SearchClause[]][] = [
    [experimentGrammar, "name LIKE 'exp%' AND tags.team = 'ml'", [clause('attribute', 'name', 'LIKE', 'exp%'), clause('tag', 'team', '=', 'ml')]],
    [
      experimentGrammar,
      'creation_time > 1.5 and attribute.last_update_time <= 10',
      [clause('attribute', 'creation_time', '>', 1.5), clause('attribute', 'last_update_time', '<=', 10)],
    ],
    [
      registeredModelGrammar,
      "name ILIKE '%fraud%' and tags.`stage` != 'old'",
      [clause('attribute', 'name', 'ILIKE', '%fraud%'), clause('tag', 'stage', '!=', 'old')],
    ],
    [
      modelVersionGrammar,
      "name = 'm' AND version_number >= 2 AND source_path LIKE 's3://%'",
      [clause('attribute', 'name', '=', 'm'), clause('attribute', 'version_number', '>=', 2), clause('attribute', 'source_path', 'LIKE', 's3://%')],
    ],
    [modelVersionGrammar, "run_id IN ('r1', 'r2') and tags.x = 'y'", [clause('attribute', 'run_id', 'IN', ['r1', 'r2']), clause('tag', 'x', '=', 'y')]],
    [modelVersionGrammar, "run_id NOT IN ('r1')", [clause('attribute', 'run_id', 'NOT IN', ['r1'])]],
    [
      loggedModelGrammar,
      "name = 'm' AND status IN ('LOGGED_MODEL_READY') AND metrics.acc > 0.9 AND params.lr = '0.1' AND tags.t = 'x'",
      [
        clause('attribute', 'name', '=', 'm'),
        clause('attribute', 'status', 'IN', ['LOGGED_MODEL_READY']),
        clause('metric', 'acc', '>', 0.9),
        clause('param', 'lr', '=', '0.1'),
        clause('tag', 't', '=', 'x'),
      ],
    ],
    [
      loggedModelGrammar,
      "creation_time > 5 AND last_updated_timestamp < 9 AND source_run_id = 'r' AND model_type = 't' AND model_id != 'm-1'",
      [
        clause('attribute', 'creation_timestamp', '>', 5),
        clause('attribute', 'last_updated_timestamp', '<', 9),
        clause('attribute', 'source_run_id', '=', 'r'),
        clause('attribute', 'model_type', '=', 't'),
        clause('attribute', 'model_id', '!=', 'm-1'),
      ],
    ],
  ]
  for (const [grammar, filter, expected] of cases) {
    it(`parses ${filter} for ${grammar.subject}`, () => assert.deepEqual(parseFilter(filter, grammar), expected))
  }

  const bad: [SearchGrammar, string, ...string[]][] = [
    [experimentGrammar, 'metrics.a > 1', "unknown entity 'metrics'", 'attribute, tag, tags'],
    [experimentGrammar, "attributes.name = 'x'", "unknown entity 'attributes'"],
    [experimentGrammar, "experiment_id = '1'", "unknown attribute 'experiment_id'", 'name, creation_time, last_update_time'],
    [experimentGrammar, "name IN ('a')", "comparator 'IN' is not allowed for 'name'"],
    [experimentGrammar, "creation_time > 'x'", 'needs a number'],
    [registeredModelGrammar, "params.a = 'x'", "unknown entity 'params'"],
    [registeredModelGrammar, 'last_updated_timestamp > 1', "unknown attribute 'last_updated_timestamp'", 'can filter on name'],
    [registeredModelGrammar, "name IN ('a')", "comparator 'IN' is not allowed"],
    [modelVersionGrammar, "name IN ('a')", "comparator 'IN' is not allowed for 'name'"],
    [modelVersionGrammar, "version_number = '1'", 'needs a number'],
    [modelVersionGrammar, 'creation_timestamp > 1', "unknown attribute 'creation_timestamp'"],
    [modelVersionGrammar, 'metrics.a > 1', "unknown entity 'metrics'"],
    [loggedModelGrammar, "datasets.name = 'x'", "unknown entity 'datasets'"],
    [loggedModelGrammar, "run.name = 'x'", "unknown entity 'run'"],
    [loggedModelGrammar, 'creation_timestamp > 1.5', 'needs a whole number'],
    [loggedModelGrammar, "tags.a IN ('x')", "comparator 'IN' is not allowed"],
  ]
  for (const [grammar, filter, ...fragments] of bad) {
    it(`rejects ${filter} for ${grammar.subject}`, () => assertRejects(() => parseFilter(filter, grammar), ...fragments))
  }
})

describe('parseOrderBy', () => {
  it('returns no terms for a missing or empty list', () => {
    assert.deepEqual(parseOrderBy(undefined, runGrammar), [])
    assert.deepEqual(parseOrderBy([], runGrammar), [])
  })

  it('parses run order_by items with directions, aliases and quoted keys', () => {
    const items = ['created DESC', 'metrics.`a b` asc', 'tags.mlflow.runName', 'params."lr" Desc', ' run_name ', 'attributes.end_time ASC', 'run_id']
    assert.deepEqual(parseOrderBy(items, runGrammar), [
      { entity: 'attribute', key: 'start_time', ascending: false },
      { entity: 'metric', key: 'a b', ascending: true },
      { entity: 'tag', key: 'mlflow.runName', ascending: true },
      { entity: 'param', key: 'lr', ascending: false },
      { entity: 'attribute', key: 'run_name', ascending: true },
      { entity: 'attribute', key: 'end_time', ascending: true },
      { entity: 'attribute', key: 'run_id', ascending: true },
    ])
  })

  const valid: [SearchGrammar, string, string, boolean][] = [
    [experimentGrammar, 'experiment_id DESC', 'experiment_id', false],
    [experimentGrammar, 'last_update_time', 'last_update_time', true],
    [registeredModelGrammar, 'timestamp DESC', 'last_updated_timestamp', false],
    [registeredModelGrammar, 'creation_timestamp', 'creation_timestamp', true],
    [registeredModelGrammar, 'name asc', 'name', true],
    [modelVersionGrammar, 'version_number DESC', 'version_number', false],
    [modelVersionGrammar, 'last_updated_timestamp', 'last_updated_timestamp', true],
    [loggedModelGrammar, 'creation_time DESC', 'creation_timestamp', false],
  ]
  for (const [grammar, item, key, ascending] of valid) {
    it(`parses '${item}' for ${grammar.subject}`, () => {
      assert.deepEqual(parseOrderBy([item], grammar), [{ entity: 'attribute', key, ascending }])
    })
  }

  it('names the bad item when a later item in the list is invalid', () => {
    assertRejects(() => parseOrderBy(['start_time DESC', 'bogus ASC'], runGrammar), "Invalid order_by item 'bogus ASC'")
  })

  it('orders logged models by metrics', () => {
    assert.deepEqual(parseOrderBy(['metrics.acc DESC'], loggedModelGrammar), [{ entity: 'metric', key: 'acc', ascending: false }])
  })

  const bad: [SearchGrammar, string, ...string[]][] = [
    [runGrammar, '', 'it is empty'],
    [runGrammar, '   ', 'it is empty'],
    [runGrammar, 'DESC', "unknown attribute 'DESC'"],
    [runGrammar, 'start_time DESC ASC', "expected ASC, DESC or nothing after 'start_time', got 'ASC'"],
    [runGrammar, 'start_time DOWN', "got 'DOWN'"],
    [runGrammar, 'start_time, run_id', "got ','"],
    [runGrammar, "'start_time'", "expected a key, got 'start_time'"],
    [runGrammar, 'metric2.x', "unknown entity 'metric2'"],
    [runGrammar, 'bogus', "unknown attribute 'bogus'", 'can order by run_id'],
    [runGrammar, 'datasets.name', 'runs cannot be ordered by datasets'],
    [runGrammar, 'tags.`x', 'unterminated quote'],
    [experimentGrammar, 'tags.team', 'experiments cannot be ordered by tags'],
    [registeredModelGrammar, 'tags.x DESC', 'registered models cannot be ordered by tags'],
    [registeredModelGrammar, 'version_number', "unknown attribute 'version_number'", 'name, last_updated_timestamp, creation_timestamp'],
    [modelVersionGrammar, 'run_id', "unknown attribute 'run_id'"],
    [modelVersionGrammar, 'source_path', "unknown attribute 'source_path'"],
    [loggedModelGrammar, 'params.lr', 'logged models cannot be ordered by params'],
  ]
  for (const [grammar, item, ...fragments] of bad) {
    it(`rejects order_by '${item}' for ${grammar.subject}`, () => {
      assertRejects(() => parseOrderBy([item], grammar), `Invalid order_by item '${item}'`, ...fragments)
    })
  }
})
