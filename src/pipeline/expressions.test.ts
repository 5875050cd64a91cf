import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { evaluate, interpolate, isConditionMet } from './expressions.js'

const context = (hasFailed = false) => ({
  values: {
    variables: { alpha: '0.1', deploy: 'true', 'databricks.host': 'https://adb-1.azuredatabricks.net' },
    secrets: { 'databricks.token': 'dapi-xyz', clinet_id: 'c-1' },
    steps: { register: { outputs: { version: '3' } }, 'deploy-staging': { outputs: { url: 'http://e' } } },
    trigger: { version: '7' },
  },
  hasFailed,
})

describe('pipeline expressions', () => {
  it('fills step outputs and variables into strings', () => {
    assert.equal(interpolate('v${{ steps.register.outputs.version }} a=${{variables.alpha}}', context(), 'x'), 'v3 a=0.1')
  })

  it('fills nested objects and keeps non-strings as they are', () => {
    assert.deepEqual(interpolate({ a: ['${{ variables.alpha }}', 2], b: true }, context(), 'x'), { a: ['0.1', 2], b: true })
  })

  it('falls back with || when the first reference has no value', () => {
    assert.equal(interpolate('${{ steps.missing.outputs.version || trigger.version }}', context(), 'x'), '7')
  })

  it('names a reference that has no value instead of leaving an empty string', () => {
    assert.throws(
      () => interpolate('${{ steps.trian.outputs.run_id }}', context(), 'wharf.yaml: stages[0]'),
      /stages\[0\].*steps\.trian\.outputs\.run_id.*no value/,
    )
  })

  it('evaluates succeeded(), failed() and always() against the run so far', () => {
    assert.equal(isConditionMet('succeeded()', context()), true)
    assert.equal(isConditionMet('succeeded()', context(true)), false)
    assert.equal(isConditionMet('failed()', context(true)), true)
    assert.equal(isConditionMet('always()', context(true)), true)
  })

  it('compares variables and combines conditions', () => {
    assert.equal(isConditionMet("succeeded() && variables.deploy == 'true'", context()), true)
    assert.equal(isConditionMet("${{ variables.deploy != 'true' || failed() }}", context()), false)
    assert.equal(isConditionMet("!(variables.alpha == '0.1')", context()), false)
  })

  it("reads names with dots through an index, as secrets['databricks.token'] in both CI systems", () => {
    assert.equal(interpolate("${{ secrets['databricks.token'] }}", context(), 'x'), 'dapi-xyz')
    assert.equal(interpolate("${{ variables['databricks.host'] }}/api", context(), 'x'), 'https://adb-1.azuredatabricks.net/api')
    assert.equal(interpolate("${{ vars['databricks.host'] }}", context(), 'x'), 'https://adb-1.azuredatabricks.net')
    assert.equal(interpolate('${{ secrets.clinet_id }}', context(), 'x'), 'c-1')
    assert.equal(interpolate("${{ steps['deploy-staging'].outputs.url }}", context(), 'x'), 'http://e')
    assert.equal(isConditionMet("secrets['databricks.token'] != ''", context()), true)
  })

  it('says how to read a dotted name written with dots', () => {
    assert.throws(() => interpolate('${{ secrets.databricks.token }}', context(), 'x'), /secrets\['databricks\.token'\]/)
  })

  it('refuses an index that is not a quoted name', () => {
    assert.throws(() => evaluate('secrets[variables]', context()), /an index is a quoted name/)
    assert.throws(() => evaluate("secrets['a'", context()), /expected \]/)
  })

  it('refuses unknown functions and stray tokens', () => {
    assert.throws(() => evaluate('cancelled()', context()), /unknown function cancelled/)
    assert.throws(() => evaluate("variables.alpha 'x'", context()), /unexpected/)
  })
})
