import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { fakeServeCommand } from '../deploy/fixtures/deploy-harness.js'
import { isAlive, servingProcesses, waitFor } from '../testing/fixtures.js'
import { type RunningServer, startServer } from './server-process.js'

/**
 * Two `wharf server` replicas on one PostgreSQL database with local deployment environments
 * (staging, production) served by the fake serving process, and what the replica tests ask of them.
 * Test-only.
 */
export interface DeploymentReplicas {
  readonly servers: RunningServer[]
  /** One API call as `user` (HTTP Basic with the token as password, as the MLflow client sends it); undefined when the replica could not answer. */
  api(
    server: RunningServer,
    method: 'GET' | 'POST',
    path: string,
    fields?: Record<string, unknown>,
    user?: string,
    extra?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; body: any } | undefined>
  /** The same, asserting a 200; its body. */
  ok(server: RunningServer, method: 'GET' | 'POST', path: string, fields?: Record<string, unknown>): Promise<any>
  /** The holder of the live deployment lease, read from the database. */
  holderNow(): Promise<string | undefined>
  /** Which replica supervises deployments now (waiting for one to) and the other. */
  roles(): Promise<{ supervising: RunningServer; other: RunningServer }>
  /** Stops both replicas (SIGCONT first, for one a test stopped) and kills the serving processes either started. */
  stop(): Promise<void>
}

export const replicaToken = 'replicas-deployment-token'

export async function startDeploymentReplicas(dir: string, url: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<DeploymentReplicas> {
  await writeFile(join(dir, 'wharf.yaml'), 'environments:\n  staging: { target: local }\n  production: { target: local }\n')
  const args = ['--backend-store-uri', url, '--artifacts-destination', join(dir, 'artifacts')]
  // Each replica has a deployment folder of its own, as on two machines; they share the key secret and the token.
  const env = (name: string) => ({
    WHARF_PROJECT_FILE: join(dir, 'wharf.yaml'),
    WHARF_SERVE_COMMAND: JSON.stringify(fakeServeCommand),
    WHARF_AUTH_TOKEN: replicaToken,
    WHARF_ENDPOINT_KEY_SECRET: 'replicas-endpoint-key-secret',
    WHARF_DEPLOY_DIR: join(dir, `deployments-${name}`),
    ...extraEnv,
  })
  const servers = await Promise.all([startServer(args, env('a')), startServer(args, env('b'))])

  const api: DeploymentReplicas['api'] = async (server, method, path, fields = {}, user = 'alice', extra = {}) => {
    const target = new URL(`${server.url}/api/2.0/${path}`)
    const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${user}:${replicaToken}`).toString('base64')}`, ...extra }
    const init: RequestInit = { method, headers }
    if (method === 'GET') for (const [k, v] of Object.entries(fields)) target.searchParams.set(k, String(v))
    else {
      init.body = JSON.stringify(fields)
      headers['content-type'] = 'application/json'
    }
    try {
      const res = await fetch(target, init)
      return { status: res.status, headers: res.headers, body: (await res.json()) as any }
    } catch {
      return undefined
    }
  }
  const holderNow = () => leaseHolder(url)
  return {
    servers,
    api,
    holderNow,
    ok: async (server, method, path, fields = {}) => {
      const res = await api(server, method, path, fields)
      assert.equal(res?.status, 200, `${path}: ${JSON.stringify(res?.body)}`)
      return res!.body
    },
    roles: async () => {
      const holder = await waitFor('a replica to take the deployment lease', holderNow, 20_000)
      const supervising = servers.find((s) => holder.endsWith(` ${s.url}`))!
      return { supervising, other: servers.find((s) => s !== supervising)! }
    },
    stop: async () => {
      for (const s of servers) if (s.process.exitCode === null && s.process.signalCode === null) s.process.kill('SIGCONT')
      await Promise.all(servers.map((s) => s.stop()))
      for (const { pid } of await servingProcesses(dir)) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    },
  }
}

/** The holder of the live deployment lease in the database at `url`. */
export async function leaseHolder(url: string): Promise<string | undefined> {
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  try {
    const { rows } = await db.query(
      "SELECT holder FROM wharf_leases WHERE name = 'deployment-supervisor' AND expires_time >= (extract(epoch from clock_timestamp()) * 1000)::bigint",
    )
    return rows[0]?.holder as string | undefined
  } finally {
    await db.end()
  }
}
