import { z } from 'zod'
import type { RouterTraffic } from '../router.js'
import type { ShadowRecord } from '../shadow-log.js'

const address = { version: z.string().regex(/^\d+$/), host: z.string().min(1).max(253), port: z.number().int().min(1).max(65535) }
const routeConfigSchema = z.strictObject({
  targets: z.array(z.strictObject({ ...address, weight: z.number().min(0).max(100) })).max(16),
  shadow: z.strictObject({ ...address, percent: z.number().min(0).max(100) }).optional(),
  /** The live version's gRPC address: gRPC connections are passed through to it (see grpc-pass-through.ts). */
  grpc: z.strictObject(address).optional(),
  /** Share of prediction requests the router writes to its log for monitoring (see prediction-lines.ts). */
  capture: z.strictObject({ sampleRate: z.number().gt(0).max(1) }).optional(),
})

/** What the in-cluster router is told: versions with their Service addresses, weights, the shadow, gRPC and monitoring. */
export type RouteConfig = z.infer<typeof routeConfigSchema>

/** Reads WHARF_ROUTE_CONFIG; throws naming the problem. */
export function parseRouteConfig(text: string): RouteConfig & RouterTraffic {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new Error(`the route configuration is not JSON: ${(err as Error).message}`, { cause: err })
  }
  const parsed = routeConfigSchema.safeParse(raw)
  if (!parsed.success)
    throw new Error(`the route configuration is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return parsed.data
}

/**
 * The prefix of the log line a router in the cluster writes for each shadowed request: the control
 * plane reads these lines back from the pods' logs into the endpoint's shadow log. Only the
 * comparison travels (no request or answer bodies in cluster logs).
 */
export const shadowLinePrefix = '{"wharf_shadow":'

export function shadowLine(record: ShadowRecord): string {
  const { request: _request, live: _live, shadow: _shadow, ...rest } = record
  return `${shadowLinePrefix}${JSON.stringify({ ...rest, request: '', live: '' })}}`
}

/** The shadow records in a router pod's log (other lines are skipped). */
export function shadowRecordsIn(log: string): ShadowRecord[] {
  const out: ShadowRecord[] = []
  for (const line of log.split('\n')) {
    if (!line.startsWith(shadowLinePrefix)) continue
    try {
      out.push((JSON.parse(line) as { wharf_shadow: ShadowRecord }).wharf_shadow)
    } catch {
      // a line cut by log rotation
    }
  }
  return out
}
