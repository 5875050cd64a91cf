import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import { validateModelName } from './validation.js'

describe('registered model names', () => {
  it("refuses what MLflow 3's _validate_model_name refuses: blank, '/', ':', '.', and a leading '..'", () => {
    for (const name of ['', '  ', 'a/b', 'a:b', 'models:/x', '.', '..', '..x']) {
      assert.throws(
        () => validateModelName(name),
        (err: unknown) => err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE',
        JSON.stringify(name),
      )
    }
  })

  it('also refuses control characters and names over 256 characters (its column is VARCHAR(256))', () => {
    for (const name of ['a\nb', 'a\u0000', 'x'.repeat(257)]) assert.throws(() => validateModelName(name), MlflowError, JSON.stringify(name))
  })

  it('accepts the rest, shell metacharacters included: they are never pasted into a command', () => {
    for (const name of ['diabetes', 'My Model', 'a.b', '.hidden', 'm$(touch${IFS}x)', "it's", 'x'.repeat(256)]) validateModelName(name)
  })
})
