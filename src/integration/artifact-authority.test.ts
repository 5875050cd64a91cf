import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningServer, startServer } from './server-process.js'

const token = 'authority-test-token'

/**
 * Issue #12 item 4, against a real `wharf server`: an `mlflow-artifacts://HOST/...` location makes
 * MLflow's client send its bearer token to HOST. Only the server's own authority (or none) is
 * accepted, for experiment artifact locations and for model version sources; a real listener on
 * another loopback port (and another loopback address) must never be contacted.
 */
describe('mlflow-artifacts authorities', () => {
  let dir: string
  let server: RunningServer
  let listener: Server
  let listenerPort: number
  const connections: string[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-authority-'))
    listener = createServer((socket) => {
      connections.push(`${socket.remoteAddress} -> ${socket.localAddress}`)
      socket.destroy()
    })
    await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve))
    listenerPort = (listener.address() as { port: number }).port
    server = await startServer(['--backend-store-uri', `sqlite:///${join(dir, 'wharf.db')}`, '--artifacts-destination', join(dir, 'artifacts')], {
      WHARF_AUTH_TOKEN: token,
    })
  })

  after(async () => {
    await server.stop()
    listener.close()
    await rm(dir, { recursive: true, force: true })
  })

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/2.0/mlflow/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  const foreign = () => [
    `mlflow-artifacts://127.0.0.1:${listenerPort}/stolen`,
    `mlflow-artifacts://localhost:${listenerPort}/stolen`,
    `mlflow-artifacts://127.0.0.2:${listenerPort}/stolen`,
    `mlflow-artifacts://[::1]:${listenerPort}/stolen`,
    'mlflow-artifacts://attacker.example/stolen',
    'MLFLOW-ARTIFACTS://attacker.example:443/stolen',
  ]

  it('refuses an experiment whose artifact location names another host, and creates nothing', async () => {
    for (const [i, location] of foreign().entries()) {
      const res = await api('POST', 'experiments/create', { name: `exp-${i}`, artifact_location: location })
      assert.equal(res.status, 400, `${location}: ${JSON.stringify(res.body)}`)
      assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE')
      assert.equal((await api('GET', `experiments/get-by-name?experiment_name=exp-${i}`)).status, 404)
    }
    assert.deepEqual(connections, [])
  })

  it('refuses a model version source that names another host, with or without a run, and registers nothing', async () => {
    assert.equal((await api('POST', 'registered-models/create', { name: 'target' })).status, 200)
    const run = (await api('POST', 'runs/create', { experiment_id: '0' })).body.run.info
    for (const source of foreign()) {
      for (const body of [
        { name: 'target', source },
        { name: 'target', source: `${source}/model`, run_id: run.run_id },
      ]) {
        const res = await api('POST', 'model-versions/create', body)
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`)
        assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE')
      }
    }
    const versions = await api('GET', `model-versions/search?filter=${encodeURIComponent("name='target'")}`)
    assert.deepEqual(versions.body.model_versions ?? [], [])
    assert.deepEqual(connections, [])
  })

  it("accepts the server's own authority and none, as MLflow's own URIs have", async () => {
    const own = new URL(server.url).host
    for (const [i, location] of [
      `mlflow-artifacts://${own}/mine`,
      `mlflow-artifacts://localhost:${new URL(server.url).port}/mine`,
      'mlflow-artifacts:/mine',
      'mlflow-artifacts:///mine',
    ].entries()) {
      const res = await api('POST', 'experiments/create', { name: `own-${i}`, artifact_location: location })
      assert.equal(res.status, 200, `${location}: ${JSON.stringify(res.body)}`)
    }
    const res = await api('POST', 'model-versions/create', { name: 'target', source: `mlflow-artifacts://${own}/models/m` })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.deepEqual(connections, [])
  })
})
