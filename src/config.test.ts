import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig, readEnvironmentVariables } from './config.js'

const refusal = (name: string) => (err: unknown) => err instanceof ConfigError && err.message.startsWith(`${name} must be`)

describe('loadConfig', () => {
  it('falls back to the defaults on an empty environment', () => {
    const config = loadConfig({}, {})
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.port, 5000)
    assert.equal(config.backendStoreUri, 'sqlite:///wharf-data/wharf.db')
    assert.equal(config.durability, 'full')
    assert.equal(config.trackingUri, undefined)
    assert.deepEqual(config.allowedHosts, [])
    assert.equal(config.servePort, 8080)
  })

  it('takes a flag over its WHARF_ variable, and the variable over the default', () => {
    assert.equal(loadConfig({ port: '6000' }, { WHARF_PORT: '7000' }).port, 6000)
    assert.equal(loadConfig({}, { WHARF_PORT: '7000' }).port, 7000)
  })

  it("reads WHARF_ names before MLflow's, and ignores empty variables", () => {
    assert.equal(loadConfig({}, { WHARF_TRACKING_URI: 'http://a:1', MLFLOW_TRACKING_URI: 'http://b:2' }).trackingUri, 'http://a:1')
    assert.equal(loadConfig({}, { WHARF_TRACKING_URI: '', MLFLOW_TRACKING_URI: 'http://b:2' }).trackingUri, 'http://b:2')
    assert.equal(loadConfig({}, { MLFLOW_TRACKING_TOKEN: 't' }).trackingToken, 't')
  })

  it('parses lists, numbers, fractions and commands', () => {
    const config = loadConfig(
      {},
      {
        WHARF_ALLOWED_HOSTS: ' a.example, ,b.example ',
        WHARF_SERVE_ACCESS_LOG_SAMPLE_RATE: '0.25',
        WHARF_SERVE_BATCH_MAX_ROWS: '0',
        WHARF_SERVE_COMMAND: '["node", "serve.js"]',
      },
    )
    assert.deepEqual(config.allowedHosts, ['a.example', 'b.example'])
    assert.equal(config.serveAccessLogSampleRate, 0.25)
    assert.equal(config.serveBatchMaxRows, 0)
    assert.deepEqual(config.serveCommand, ['node', 'serve.js'])
    assert.deepEqual(loadConfig({}, { WHARF_SERVE_COMMAND: '  python  -m  serve ' }).serveCommand, ['python', '-m', 'serve'])
  })

  it('returns a frozen object', () => {
    const config = loadConfig({}, {})
    assert.equal(Object.isFrozen(config), true)
    assert.throws(() => {
      ;(config as { port: number }).port = 1
    }, TypeError)
  })

  it('never echoes the password of a refused store URI', () => {
    assert.throws(
      () => loadConfig({}, { WHARF_BACKEND_STORE_URI: 'mysql://wharf:s3cret-Pw@db.internal/wharf' }),
      (err: Error) => err instanceof ConfigError && /mysql:\/\/wharf:\*\*\*@db\.internal/.test(err.message) && !err.message.includes('s3cret-Pw'),
    )
  })

  it('refuses a bad value with an error naming the variable or flag it came from', () => {
    assert.throws(() => loadConfig({}, { WHARF_PORT: '70000' }), refusal('WHARF_PORT'))
    assert.throws(() => loadConfig({ port: 'x' }, {}), refusal('--port'))
    assert.throws(() => loadConfig({}, { WHARF_HOST: 'bad host!' }), refusal('WHARF_HOST'))
    assert.throws(() => loadConfig({}, { WHARF_BACKEND_STORE_URI: 'mysql://x' }), refusal('WHARF_BACKEND_STORE_URI'))
    assert.throws(() => loadConfig({ durability: 'sometimes' }, {}), refusal('--durability'))
    assert.throws(() => loadConfig({}, { WHARF_LOG_LEVEL: 'loud' }), refusal('WHARF_LOG_LEVEL'))
    assert.throws(() => loadConfig({}, { WHARF_SERVE_WORKERS: '0' }), refusal('WHARF_SERVE_WORKERS'))
    assert.throws(() => loadConfig({}, { WHARF_SERVE_ACCESS_LOG_SAMPLE_RATE: '1.5' }), refusal('WHARF_SERVE_ACCESS_LOG_SAMPLE_RATE'))
    assert.throws(() => loadConfig({}, { WHARF_SERVE_BACKEND: 'gpu' }), refusal('WHARF_SERVE_BACKEND'))
    assert.throws(() => loadConfig({}, { WHARF_CONTAINER_RUNTIME: 'lxc' }), refusal('WHARF_CONTAINER_RUNTIME'))
    assert.throws(() => loadConfig({}, { WHARF_SERVE_COMMAND: '[1, 2]' }), refusal('WHARF_SERVE_COMMAND'))
    for (const url of ['ftp://10.0.0.5', 'http://10.0.0.5:5000/api', 'http://u:p@10.0.0.5', 'http://10.0.0.5?x=1', 'not a url'])
      assert.throws(() => loadConfig({}, { WHARF_REPLICA_URL: url }), refusal('WHARF_REPLICA_URL'), url)
  })

  it('takes the URL other replicas reach this one at as an origin, and never echoes credentials in it', () => {
    assert.throws(
      () => loadConfig({}, { WHARF_REPLICA_URL: 'http://wharf:s3cret@10.0.0.5' }),
      (err: Error) => refusal('WHARF_REPLICA_URL')(err) && !err.message.includes('s3cret'),
    )
    assert.equal(loadConfig({}, { WHARF_REPLICA_URL: 'http://10.0.0.5:5000/' }).replicaUrl, 'http://10.0.0.5:5000')
    assert.equal(loadConfig({}, { WHARF_REPLICA_URL: 'https://wharf-1.internal' }).replicaUrl, 'https://wharf-1.internal')
    assert.equal(loadConfig({}, {}).replicaUrl, undefined)
  })

  it('accepts the store URIs MLflow writes', () => {
    for (const uri of ['sqlite:///relative.db', 'sqlite:////abs/wharf.db', 'sqlite:///:memory:', 'postgresql://u:p@h/db', 'postgres://h/db']) {
      assert.equal(loadConfig({ backendStoreUri: uri }, {}).backendStoreUri, uri)
    }
  })
})

describe('readEnvironmentVariables', () => {
  it('reads exactly the named variables, undefined when unset', () => {
    assert.deepEqual(readEnvironmentVariables(['A', 'B'], { A: '1', C: '3' }), { A: '1', B: undefined })
  })
})
