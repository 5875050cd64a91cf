import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { actorOf } from './actor.js'

describe('registry actor', () => {
  it('is the Basic user name when there is one', () => {
    assert.equal(actorOf({ authorization: `Basic ${Buffer.from('dana:secret').toString('base64')}`, userAgent: 'mlflow-python-client/3.1.0' }), 'dana')
  })

  it('is the client product from the User-Agent otherwise, cleaned and bounded', () => {
    assert.equal(actorOf({ userAgent: 'mlflow-python-client/2.22.5 (python 3.11)' }), 'client:mlflow-python-client/2.22.5')
    assert.equal(actorOf({ authorization: 'Bearer token', userAgent: 'curl/8.0 x' }), 'client:curl/8.0')
    assert.equal(actorOf({ userAgent: `<script>${'a'.repeat(300)}` }).length, 'client:'.length + 100)
  })

  it('is anonymous when nothing identifies the caller', () => {
    assert.equal(actorOf({}), 'anonymous')
    assert.equal(actorOf({ userAgent: '   ' }), 'anonymous')
    assert.equal(actorOf({ authorization: `Basic ${Buffer.from(':only-password').toString('base64')}` }), 'anonymous')
  })
})
