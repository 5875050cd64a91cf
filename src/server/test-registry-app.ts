import type { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { buildApp } from './app.js'
import { FsArtifactStore } from '../store/fs/artifact-store.js'
import { SqliteRegistryStore } from '../store/sqlite/registry-store.js'
import { SqliteTrackingStore } from '../store/sqlite/tracking-store.js'
import { TrackingService } from '../tracking/tracking-service.js'
import { RegistryService, type RegistryServiceOptions } from '../registry/index.js'

/** An answer from the in-process app, parsed once. */
export interface Answer {
  readonly status: number
  readonly body: any
}

/**
 * A whole Wharf HTTP app on in-memory SQLite for registry tests, called in-process through Hono's
 * `app.request`. Webhook DNS is faked (`hooks.example` resolves to a public address,
 * `rebind.example` to the metadata address) so no test reaches the network.
 */
export function makeRegistryApp(artifactsDir: string, options: RegistryServiceOptions = {}) {
  const trackingStore = new SqliteTrackingStore(':memory:', { durability: 'normal' })
  const registryStore = new SqliteRegistryStore(':memory:', { durability: 'normal' })
  const fakeDns: Record<string, string> = { 'hooks.example': '93.184.216.34', 'rebind.example': '169.254.169.254', 'v6meta.example': 'fd00:ec2::254' }
  const registry = new RegistryService(registryStore, trackingStore, {
    resolve: async (host) => {
      const address = fakeDns[host]
      if (!address) throw new Error(`ENOTFOUND ${host}`)
      return [{ address, family: address.includes(':') ? 6 : 4 }]
    },
    ...options,
  })
  const tracking = new TrackingService(trackingStore)
  const app: Hono<AppEnv> = buildApp(
    { tracking, artifacts: new FsArtifactStore(artifactsDir), registry },
    { bindHost: '127.0.0.1', allowedHosts: [], corsAllowedOrigins: [] },
  )
  const call = async (method: string, path: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const url = path.startsWith('/') ? path : `/api/2.0/mlflow/${path}`
    const res = await app.request(url, {
      method,
      headers: { host: 'localhost:5000', ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : {} }
  }
  const query = (params: Record<string, string | number | readonly string[]>) => {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item))
    return q.toString()
  }
  return {
    app,
    tracking,
    registry,
    trackingStore,
    registryStore,
    get: (path: string, params: Record<string, string | number | readonly string[]> = {}, headers: Record<string, string> = {}) =>
      call('GET', `${path}${Object.keys(params).length ? `?${query(params)}` : ''}`, undefined, headers),
    post: (path: string, payload: unknown, headers?: Record<string, string>) => call('POST', path, payload, headers),
    patch: (path: string, payload: unknown) => call('PATCH', path, payload),
    del: (path: string, payload?: unknown) => call('DELETE', path, payload),
    close: async () => {
      await registryStore.close()
      await trackingStore.close()
    },
  }
}

export type RegistryApp = ReturnType<typeof makeRegistryApp>
