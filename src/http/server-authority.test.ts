import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mlflowArtifactsAuthority, ServerAuthority } from './server-authority.js'

describe("the server's own mlflow-artifacts authority", () => {
  it('is its port with a name it answers to, and nothing before it listens', () => {
    const authority = new ServerAuthority({ bindHost: '127.0.0.1', allowedHosts: [] })
    assert.equal(authority.isOwn('127.0.0.1:5000'), false)
    authority.listening(5000)
    for (const own of ['127.0.0.1:5000', 'localhost:5000', 'LOCALHOST:5000', '[::1]:5000']) assert.equal(authority.isOwn(own), true, own)
    for (const other of ['127.0.0.1:5001', 'localhost', 'evil.example:5000', '127.0.0.2:5000', '10.0.0.5:5000', 'user@localhost:5000', '[::1]', ''])
      assert.equal(authority.isOwn(other), false, other)
  })

  it('takes the bind address and --allowed-hosts names, and loopback names only on a loopback or wildcard bind', () => {
    const bound = new ServerAuthority({ bindHost: '10.0.0.5', allowedHosts: ['wharf.internal', '*'] })
    bound.listening(8000)
    assert.equal(bound.isOwn('10.0.0.5:8000'), true)
    assert.equal(bound.isOwn('wharf.internal:8000'), true)
    assert.equal(bound.isOwn('localhost:8000'), false)
    assert.equal(bound.isOwn('anything:8000'), false, "'*' is not a name")
    const wildcard = new ServerAuthority({ bindHost: '0.0.0.0', allowedHosts: [] })
    wildcard.listening(80)
    assert.equal(wildcard.isOwn('localhost'), true, 'no port means 80')
    assert.equal(wildcard.isOwn('0.0.0.0:80'), false)
  })

  it('reads the authority of mlflow-artifacts URIs, none for the authority-less forms', () => {
    assert.equal(mlflowArtifactsAuthority('mlflow-artifacts://h:1/x'), 'h:1')
    assert.equal(mlflowArtifactsAuthority('MLFLOW-ARTIFACTS://h/x'), 'h')
    assert.equal(mlflowArtifactsAuthority('mlflow-artifacts:/x'), undefined)
    assert.equal(mlflowArtifactsAuthority('mlflow-artifacts:///x'), undefined)
    assert.equal(mlflowArtifactsAuthority('s3://bucket/x'), undefined)
  })
})
