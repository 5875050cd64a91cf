import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * `X-Wharf-Signature: sha256=<hex>`, the HMAC-SHA256 of `<X-Wharf-Timestamp>.<raw body>` keyed with
 * the webhook's secret. Signing the timestamp lets receivers refuse replays of old deliveries.
 */
export function signDelivery(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

/** For receivers (and tests): compares in constant time. */
export function isValidSignature(secret: string, timestamp: string, body: string, header: string | undefined): boolean {
  if (header === undefined) return false
  const expected = Buffer.from(signDelivery(secret, timestamp, body))
  const presented = Buffer.from(header)
  return presented.length === expected.length && timingSafeEqual(presented, expected)
}
