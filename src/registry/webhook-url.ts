import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import { invalidParameter } from '../errors.js'

/**
 * Where webhooks may not point (docs/security.md §3.4): cloud metadata services and the link-local
 * ranges they live in, plus addresses that are not a single host, also when an IPv6 address
 * carries one of them (mapped, compatible, NAT64, 6to4). Loopback and private ranges stay
 * allowed on purpose: webhook receivers in tests, CI and pipelines run on 127.0.0.1 or inside the
 * cluster, and registering a webhook already takes write access to this server. Wharf never returns
 * a receiver's answer body, only its status code and latency, and never follows redirects.
 */
const blocked = new BlockList()
blocked.addSubnet('169.254.0.0', 16, 'ipv4') // link-local: AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
blocked.addAddress('100.100.100.200', 'ipv4') // Alibaba Cloud metadata
blocked.addAddress('168.63.129.16', 'ipv4') // Azure's wire server (host agent, DNS, health probes)
blocked.addSubnet('192.0.0.0', 24, 'ipv4') // IETF protocol assignments (RFC 6890), not hosts
blocked.addSubnet('0.0.0.0', 8, 'ipv4') // "this network"; 0.0.0.0 reaches local services on Linux
blocked.addSubnet('224.0.0.0', 4, 'ipv4') // multicast
blocked.addAddress('255.255.255.255', 'ipv4')
blocked.addAddress('fd00:ec2::254', 'ipv6') // AWS metadata over IPv6
blocked.addSubnet('fe80::', 10, 'ipv6') // link-local
blocked.addAddress('::', 'ipv6')
blocked.addSubnet('ff00::', 8, 'ipv6') // multicast

// Names that resolve to metadata services inside their clouds (and nowhere else we could check).
const blockedNames = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal'])

/** The 16 bytes of an IPv6 address (zone id dropped, a trailing dotted quad read as its 4 bytes). */
function ipv6Bytes(ip: string): number[] {
  const text = ip
    .split('%')[0]!
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`)
  const [head = '', tail] = text.split('::')
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : [])
  const left = groups(head)
  const right = groups(tail)
  const all = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
  return all.flatMap((g) => [g >> 8, g & 255])
}

const zeros = (bytes: readonly number[], from: number, to: number) => bytes.slice(from, to).every((b) => b === 0)
const quad = (bytes: readonly number[], ...at: number[]) => at.map((i) => bytes[i]).join('.')

/**
 * The IPv4 addresses an IPv6 address carries, which reach that IPv4 host through a translator or a
 * dual stack: mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), SIIT (::ffff:0:a.b.c.d), NAT64
 * (64:ff9b::/96, and 64:ff9b:1::/48 at each prefix length of RFC 6052) and 6to4 (2002::/16).
 */
function embeddedIPv4(ip: string): string[] {
  const b = ipv6Bytes(ip)
  if (zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return [quad(b, 12, 13, 14, 15)]
  if (zeros(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(b, 10, 12)) return [quad(b, 12, 13, 14, 15)]
  // :: and ::1 are the unspecified and loopback addresses, not IPv4-compatible ones.
  if (zeros(b, 0, 12) && !zeros(b, 12, 15)) return [quad(b, 12, 13, 14, 15)]
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (zeros(b, 4, 12)) return [quad(b, 12, 13, 14, 15)]
    // Local-use NAT64: the /96 layout when the middle is empty, else the /48, /56 and /64 ones.
    if (b[4] === 0x00 && b[5] === 0x01)
      return zeros(b, 6, 12) ? [quad(b, 12, 13, 14, 15)] : [quad(b, 6, 7, 9, 10), quad(b, 7, 9, 10, 11), quad(b, 9, 10, 11, 12)]
  }
  if (b[0] === 0x20 && b[1] === 0x02) return [quad(b, 2, 3, 4, 5)]
  return []
}

export function isBlockedAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase()
  const family = isIP(ip)
  if (family === 0) return true
  if (family === 4) return blocked.check(ip, 'ipv4')
  return blocked.check(ip, 'ipv6') || embeddedIPv4(ip).some((v4) => blocked.check(v4, 'ipv4'))
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
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()
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
