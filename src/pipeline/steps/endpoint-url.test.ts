import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { reachableEndpointUrl } from './endpoint-url.js'

describe('the URL the test step calls', () => {
  it("is the deployment's own URL when it is external, wherever the runner is", () => {
    assert.equal(
      reachableEndpointUrl('https://diabetes.ml.example.com', 'https://wharf.example.com', 'production', 'diabetes'),
      'https://diabetes.ml.example.com',
    )
    assert.equal(reachableEndpointUrl('http://10.0.0.7:30080', 'http://127.0.0.1:5000', 'staging', 'diabetes'), 'http://10.0.0.7:30080')
  })

  it('is a loopback URL when the runner reaches the server through loopback too (same machine)', () => {
    assert.equal(reachableEndpointUrl('http://127.0.0.1:41234', 'http://127.0.0.1:5000', 'staging', 'diabetes'), 'http://127.0.0.1:41234')
    assert.equal(reachableEndpointUrl('http://localhost:41234', 'http://localhost:5000', 'staging', 'diabetes'), 'http://localhost:41234')
  })

  it('refuses a loopback URL from a runner on another machine (a hosted CI agent), saying why', () => {
    assert.throws(
      () => reachableEndpointUrl('http://127.0.0.1:41234', 'https://wharf.example.com', 'staging', 'diabetes'),
      /staging reports only a loopback URL for diabetes \(http:\/\/127\.0\.0\.1:41234\).*would be this runner itself/,
    )
    assert.throws(() => reachableEndpointUrl('http://[::1]:8080', 'http://10.1.2.3:5000', 'staging', 'm'), /loopback URL/)
  })
})
