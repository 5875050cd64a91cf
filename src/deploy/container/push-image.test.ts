import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { registryHostOf } from './push-image.js'

describe('image references to push', () => {
  it('finds the registry host, with its port', () => {
    assert.equal(registryHostOf('myacr.azurecr.io/ml/fraud:3'), 'myacr.azurecr.io')
    assert.equal(registryHostOf('127.0.0.1:5443/wharf/fraud:v3'), '127.0.0.1:5443')
    assert.equal(registryHostOf('localhost/fraud:3'), 'localhost')
  })

  it('refuses a reference that names no registry, rather than pushing to Docker Hub', () => {
    assert.throws(() => registryHostOf('fraud:3'), /names no registry/)
    assert.throws(() => registryHostOf('library/fraud:3'), /names no registry/)
  })
})
