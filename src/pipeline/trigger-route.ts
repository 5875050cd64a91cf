import type { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { readBodyBytes } from '../http/request-body.js'
import type { PipelineTrigger } from './pipeline-trigger.js'

const maxBodyBytes = 1024 * 1024

/**
 * `POST .../pipelines/trigger?pipeline=NAME[&stages=a,b]`: the registry webhook receiver. It is
 * open to anyone who reaches the port (deliveries carry a signature, not a token), so it refuses
 * before reading a byte when triggers are off, and reads at most 1 MiB otherwise. It reads the raw
 * body and request target itself, because the signature covers exactly what was sent.
 */
export function mountPipelineTrigger(app: Hono<AppEnv>, prefixes: readonly string[], trigger: PipelineTrigger): void {
  for (const prefix of prefixes) {
    app.post(`${prefix}/pipelines/trigger`, async (c) => {
      trigger.assertEnabled()
      const body = (await readBodyBytes(c, maxBodyBytes)).toString('utf8')
      const url = new URL(c.req.url)
      const result = await trigger.handle({
        method: c.req.method,
        target: c.env?.incoming?.url ?? url.pathname + url.search,
        body,
        timestamp: c.req.header('x-wharf-timestamp'),
        signature: c.req.header('x-wharf-signature'),
        pipeline: c.req.query('pipeline'),
        stages: c.req.query('stages'),
      })
      return c.json(result, result.accepted ? 202 : 200)
    })
  }
}
