import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkDistinctNames, ciNameOf, environmentNameOf, environmentOf } from './variable-names.js'

describe('variable and secret names in CI', () => {
  it("gives a dotted name Azure's environment form, which is also its GitHub name", () => {
    assert.equal(ciNameOf('databricks.token'), 'DATABRICKS_TOKEN')
    assert.equal(ciNameOf('databricks.cluster.workers.min'), 'DATABRICKS_CLUSTER_WORKERS_MIN')
    assert.equal(ciNameOf('clinet_id'), 'CLINET_ID')
  })

  it('keeps a name a shell can read as it is, and maps only the others', () => {
    assert.equal(environmentNameOf('model_name'), 'model_name')
    assert.equal(environmentNameOf('databricks.host'), 'DATABRICKS_HOST')
    assert.deepEqual(environmentOf({ 'databricks.token': 't', alpha: '1' }), { DATABRICKS_TOKEN: 't', alpha: '1' })
  })

  it('refuses two names that meet in CI, naming both', () => {
    assert.throws(
      () =>
        checkDistinctNames('w.yaml', [
          { kind: 'variables', name: 'a.b' },
          { kind: 'secrets', name: 'A_B' },
        ]),
      /w\.yaml: secrets\.A_B: 'A_B' and 'a\.b' are the same name in CI \(A_B\)/,
    )
    assert.doesNotThrow(() =>
      checkDistinctNames('w.yaml', [
        { kind: 'variables', name: 'a.b' },
        { kind: 'secrets', name: 'a.c' },
      ]),
    )
  })
})
