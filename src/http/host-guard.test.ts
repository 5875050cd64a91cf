import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HostGuard, type HostGuardOptions, isLoopback } from './host-guard.js'

const guard = (options: Partial<HostGuardOptions>) =>
  new HostGuard({ bindHost: '127.0.0.1', allowedHosts: [], allowedOrigins: [], hostCheck: 'always', ...options })

describe('HostGuard', () => {
  it('accepts loopback names and the bound address, and refuses foreign names and a missing Host', () => {
    const g = guard({})
    for (const host of ['localhost:5000', '127.0.0.1:5000', '127.0.0.2', '[::1]:5000', 'LOCALHOST']) assert.equal(g.isAllowedHost(host), true, host)
    for (const host of [undefined, '', 'attacker.example', 'localhost.attacker.example', '10.0.0.1', '169.254.169.254'])
      assert.equal(g.isAllowedHost(host), false, String(host))
  })

  it('accepts configured names, and any name with *', () => {
    assert.equal(guard({ allowedHosts: ['Wharf.Internal'] }).isAllowedHost('wharf.internal:443'), true)
    assert.equal(guard({ allowedHosts: ['*'] }).isAllowedHost('anything.example'), true)
  })

  it('accepts private addresses, never private-looking names, behind a wildcard bind', () => {
    const g = guard({ bindHost: '0.0.0.0' })
    for (const host of ['10.1.2.3:5000', '172.16.0.9', '192.168.1.1', '[fd00::1]']) assert.equal(g.isAllowedHost(host), true, host)
    for (const host of ['10.attacker.example', '8.8.8.8', '169.254.169.254']) assert.equal(g.isAllowedHost(host), false, host)
  })

  it("checks Host only on a loopback bind in 'loopback' mode (wharf serve behind a load balancer)", () => {
    assert.equal(guard({ hostCheck: 'loopback' }).isAllowedHost('attacker.example'), false)
    assert.equal(guard({ hostCheck: 'loopback', bindHost: '0.0.0.0' }).isAllowedHost('model.svc.cluster.local'), true)
    assert.equal(guard({ hostCheck: 'always', bindHost: '0.0.0.0' }).isAllowedHost('model.svc.cluster.local'), false)
  })

  it('allows no Origin, local origins and configured ones, and refuses the rest', () => {
    const g = guard({ allowedOrigins: ['https://ui.example'] })
    for (const origin of [undefined, 'http://localhost:3000', 'https://127.0.0.1', 'http://[::1]:8080', 'https://ui.example'])
      assert.equal(g.isAllowedOrigin(origin), true, String(origin))
    for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example', 'http://127.0.0.1.nip.io', 'file://x'])
      assert.equal(g.isAllowedOrigin(origin), false, origin)
  })
})

describe('isLoopback', () => {
  it('knows localhost, 127.0.0.0/8 and ::1', () => {
    for (const name of ['localhost', '127.0.0.1', '127.9.9.9', '::1', '[::1]']) assert.equal(isLoopback(name), true, name)
    for (const name of ['0.0.0.0', '10.0.0.1', 'example.com', '::']) assert.equal(isLoopback(name), false, name)
  })
})
