import type { Hono } from 'hono'
import { invalidParameter } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import type { PipelineTrigger } from './pipeline-trigger.js'

const maxBodyBytes = 1024 * 1024

/**
 * `POST .../pipelines/trigger?pipeline=NAME[&stages=a,b]`: the registry webhook receiver. It reads
 * the raw body itself, because the signature covers the exact bytes sent.
 */
export function mountPipelineTrigger(app: Hono<AppEnv>, prefixes: readonly string[], trigger: PipelineTrigger): void {
  for (const prefix of prefixes) {
    app.post(`${prefix}/pipelines/trigger`, async (c) => {
      const body = await c.req.text()
      if (Buffer.byteLength(body) > maxBodyBytes) throw invalidParameter('delivery too large')
      const result = await trigger.handle({
        body, timestamp: c.req.header('x-wharf-timestamp'), signature: c.req.header('x-wharf-signature'), pipeline: c.req.query('pipeline'), stages: c.req.query('stages'),
      })
      return c.json(result, result.accepted ? 202 : 200)
    })
  }
}
