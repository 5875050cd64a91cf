import { createHmac, timingSafeEqual } from 'node:crypto'

/** What a signature covers: the request as sent, not only its body. */
export interface SignedRequest {
  /** `X-Wharf-Timestamp`: Unix seconds. Signing it lets receivers refuse replays of old deliveries. */
  readonly timestamp: string
  readonly method: string
  /** The request target as sent: path and query, `/api/2.0/wharf/pipelines/trigger?pipeline=x`. */
  readonly target: string
  readonly body: string
}

/**
 * `X-Wharf-Signature: sha256=<hex>`, the HMAC-SHA256, keyed with the webhook's secret, of
 *
 *     <X-Wharf-Timestamp> "\n" <METHOD> "\n" <path and query> "\n" <raw body>
 *
 * The path and query are signed with the body because they say what a delivery does (the trigger's
 * `?pipeline=` and `&stages=`): a captured delivery cannot be replayed to another pipeline, stage
 * or receiver path (issue #12). A receiver behind a proxy that rewrites paths must verify with the
 * target the registry sent. A request target never holds a raw newline, so the fields cannot run
 * into each other.
 */
export function signDelivery(secret: string, request: SignedRequest): string {
  const text = `${request.timestamp}\n${request.method.toUpperCase()}\n${request.target}\n${request.body}`
  return `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`
}

/** For receivers (and tests): compares in constant time. */
export function isValidSignature(secret: string, request: SignedRequest, header: string | undefined): boolean {
  if (header === undefined) return false
  const expected = Buffer.from(signDelivery(secret, request))
  const presented = Buffer.from(header)
  return presented.length === expected.length && timingSafeEqual(presented, expected)
}

/** The path and query Node's HTTP client sends for `url` (its request target). */
export function requestTarget(url: string): string {
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}
