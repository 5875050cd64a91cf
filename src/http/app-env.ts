import type { HttpBindings } from '@hono/node-server'

/**
 * Hono's environment for Wharf apps. Under @hono/node-server `incoming` is the raw Node request
 * (its URL not yet normalised, its body not yet read); in-process tests (`app.request`) have none.
 */
export type AppEnv = { Bindings: Partial<HttpBindings> }
