import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import { invalidParameter } from '../errors.js'

/**
 * Where webhooks may not point (docs/security.md §3.4): cloud metadata services and the link-local
 * ranges they live in, plus addresses that are not a single host. Loopback and private ranges stay
 * allowed on purpose: webhook receivers in tests, CI and pipelines run on 127.0.0.1 or inside the
 * cluster, and registering a webhook already takes write access to this server. Wharf never returns
 * a receiver's answer body, only its status code and latency, and never follows redirects.
 */
const blocked = new BlockList()
blocked.addSubnet('169.254.0.0', 16, 'ipv4') // link-local: AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
blocked.addAddress('100.100.100.200', 'ipv4') // Alibaba Cloud metadata
blocked.addSubnet('0.0.0.0', 8, 'ipv4') // "this network"; 0.0.0.0 reaches local services on Linux
blocked.addSubnet('224.0.0.0', 4, 'ipv4') // multicast
blocked.addAddress('255.255.255.255', 'ipv4')
blocked.addAddress('fd00:ec2::254', 'ipv6') // AWS metadata over IPv6
blocked.addSubnet('fe80::', 10, 'ipv6') // link-local
blocked.addAddress('::', 'ipv6')
blocked.addSubnet('ff00::', 8, 'ipv6') // multicast

// Names that resolve to metadata services inside their clouds (and nowhere else we could check).
const blockedNames = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal'])

/** `::ffff:1.2.3.4` and `::ffff:102:304` are IPv4 addresses in IPv6 clothing; check them as IPv4. */
function unmapped(ip: string): string {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (dotted) return dotted[1]!
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip)
  if (!hex) return ip
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)]
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.')
}

export function isBlockedAddress(address: string): boolean {
  const ip = unmapped(address.replace(/^\[|\]$/g, '').toLowerCase())
  const family = isIP(ip)
  if (family === 0) return true
  return blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>

export const resolveAll: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))))

const refuse = (why: string) => invalidParameter(`Invalid webhook url: ${why}`)

/**
 * Checks a webhook URL at registration: http(s) only, no credentials in it, and a host that is not
 * (and does not resolve to) a blocked address. Returns the URL as WHATWG parses it, which is also
 * how it is later requested (so `http://2130706433/` is checked as the 127.0.0.1 it means).
 */
export async function validateWebhookUrl(raw: string, resolve: Resolver = resolveAll): Promise<string> {
  if (raw.length > 2048) throw refuse('longer than 2048 characters.')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw refuse('not an absolute URL.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('only http and https URLs are allowed.')
  if (url.username !== '' || url.password !== '') throw refuse('credentials in the URL are not allowed; use the webhook secret.')
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase()
  if (isIP(host)) {
    if (isBlockedAddress(host)) throw refuse('it points at a link-local or metadata address.')
    return url.href
  }
  if (blockedNames.has(host)) throw refuse('it points at a cloud metadata service.')
  let addresses: readonly LookupAddress[]
  try {
    addresses = await resolve(host)
  } catch {
    throw refuse(`the host '${host}' could not be resolved.`)
  }
  if (addresses.length === 0 || addresses.some((a) => isBlockedAddress(a.address))) throw refuse('its host resolves to a link-local or metadata address.')
  return url.href
}
