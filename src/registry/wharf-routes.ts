import { z } from 'zod'
import { int64, repeated } from '../http/wire-schema.js'
import { del, get, post, type RegistryRoute } from './registry-route.js'
import { toWireDelivery, toWireEvent, toWireWebhook } from './wharf-wire.js'

/** Wharf's own registry endpoints, mounted under `/api/2.0/wharf`: the event log and webhooks. */
export const wharfRegistryRoutes: readonly RegistryRoute[] = [
  get('/registry/events', z.object({ model: z.string().optional(), after: int64.optional(), max_results: int64.optional() }), async (q, { registry }) => {
    const maxResults = q.max_results ?? 1000
    const events = await registry.listEvents({ model: q.model, afterId: q.after, maxResults })
    // A full page may have more behind it: ask again with after=next_after.
    const nextAfter = events.length === maxResults ? events[events.length - 1]?.eventId : undefined
    return nextAfter === undefined ? { events: events.map(toWireEvent) } : { events: events.map(toWireEvent), next_after: nextAfter }
  }),
  post(
    '/registry/webhooks',
    z.object({
      url: z.string(),
      events: repeated(z.string()),
      model_name: z.string().nullish(),
      description: z.string().nullish(),
      secret: z.string().nullish(),
    }),
    async (b, { registry }) => {
      const { webhook, generatedSecret } = await registry.webhooks.create({
        url: b.url,
        events: b.events,
        modelName: b.model_name || undefined,
        description: b.description || undefined,
        secret: b.secret ?? undefined,
      })
      // A secret Wharf generated is shown this once; one the caller chose is never echoed.
      return generatedSecret ? { webhook: toWireWebhook(webhook), secret: generatedSecret } : { webhook: toWireWebhook(webhook) }
    },
  ),
  get('/registry/webhooks', z.object({}), async (_q, { registry }) => ({ webhooks: (await registry.webhooks.list()).map(toWireWebhook) })),
  del('/registry/webhooks/:webhook_id', z.object({ webhook_id: z.string() }), async (b, { registry }) => {
    await registry.webhooks.delete(b.webhook_id)
    return {}
  }),
  get('/registry/webhooks/deliveries', z.object({ webhook_id: z.string(), max_results: int64.optional() }), async (q, { registry }) => ({
    deliveries: (await registry.webhooks.listDeliveries(q.webhook_id, q.max_results ?? 100)).map(toWireDelivery),
  })),
]
