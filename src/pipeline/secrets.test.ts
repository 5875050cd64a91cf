import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parsePipeline } from './pipeline-file.js'
import { loadSecrets, Masker } from './secrets.js'
import { tempDir } from '../testing/fixtures.js'

describe('secrets and masking', () => {
  const masker = new Masker(['hunter2-xyz', 'pa ss/wörd"q'])

  it('masks a secret wherever it appears in a line', () => {
    assert.equal(masker.mask('token=hunter2-xyz; again hunter2-xyz'), 'token=***; again ***')
  })

  it('masks the JSON-escaped, URL-encoded and base64 forms of a secret', () => {
    assert.equal(masker.mask(JSON.stringify({ v: 'pa ss/wörd"q' })), '{"v":"***"}')
    assert.equal(masker.mask(`u=${encodeURIComponent('pa ss/wörd"q')}`), 'u=***')
    assert.equal(masker.mask(Buffer.from('hunter2-xyz').toString('base64')), '***=')
  })

  it('masks base64 of a secret inside longer encoded text, at each of the three byte alignments', () => {
    for (const prefix of ['', 'u', 'us', 'use', 'user:']) {
      const encoded = Buffer.from(`${prefix}hunter2-xyz and more`).toString('base64')
      const masked = masker.mask(encoded)
      assert.ok(masked.includes('***'), `${prefix}: ${masked}`)
      // What is left cannot be decoded back to the secret.
      assert.ok(!Buffer.from(masked.replace('***', ''), 'base64').toString('latin1').includes('hunter2'), `${prefix}: ${masked}`)
    }
  })

  it('masks strings inside stored values and error messages', () => {
    assert.deepEqual(masker.maskValue({ a: ['x hunter2-xyz'], n: 1 }), { a: ['x ***'], n: 1 })
    const err = masker.maskError(new Error('could not log in with hunter2-xyz'))
    assert.equal(err.message, 'could not log in with ***')
    assert.ok(!err.stack?.includes('hunter2-xyz'))
  })

  it('reads secrets from environment variables and files, and names a missing one without a value', async () => {
    const dir = await tempDir('secrets')
    await writeFile(join(dir, 'key.txt'), 'from-file-secret\n')
    const file = join(dir, 'wharf.yaml')
    const pipeline = parsePipeline(
      'secrets: { A: { env: A_VAR }, B: { file: key.txt }, C: { env: C_VAR, optional: true } }\nstages: [{ name: s, steps: [{ command: x }] }]',
      file,
    )
    assert.deepEqual(await loadSecrets(pipeline, { A_VAR: 'from-env' }), { A: 'from-env', B: 'from-file-secret' })
    await assert.rejects(loadSecrets(pipeline, {}), /secrets\.A: environment variable A_VAR is not set/)
  })
})
