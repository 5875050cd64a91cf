import type { LookupAddress } from 'node:dns'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction, type Socket } from 'node:net'
import { isBlockedAddress, resolveAll } from './webhook-url.js'

export interface SendResult {
  readonly statusCode?: number | undefined
  /**
   * What clients are shown of a failure: 'connection failed', 'refused: blocked address' or
   * 'invalid url'. Never which of refused, reset, unreachable or timed out it was, nor an address
   * or port: that would map the server's network for whoever can create a webhook.
   */
  readonly error?: string | undefined
  /** The full reason, for the server's log only. */
  readonly detail?: string | undefined
}

const connectionFailed = 'connection failed'
const blockedAddress = 'refused: blocked address'

/**
 * Resolves like dns.lookup but refuses (fails closed) when any address is blocked, so the address
 * the socket connects to is one that was checked (DNS rebinding between check and connect).
 */
const checkedLookup: LookupFunction = (hostname, options, callback) => {
  resolveAll(hostname).then(
    (addresses: readonly LookupAddress[]) => {
      const family = typeof options === 'object' ? options.family : undefined
      const usable = addresses.filter((a) => !family || a.family === family)
      if (usable.length === 0 || addresses.some((a) => isBlockedAddress(a.address))) {
        const err = Object.assign(new Error(`refused: '${hostname}' resolves to a blocked address`), { code: 'EBLOCKED' })
        return callback(err, '', 0)
      }
      if (typeof options === 'object' && options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [...usable])
      callback(null, usable[0]!.address, usable[0]!.family)
    },
    (err: NodeJS.ErrnoException) => callback(err, '', 0),
  )
}

/**
 * POSTs one webhook delivery. No redirects are followed (node:http never does) and the connected
 * peer's IP is checked again before any byte of the body is sent. Resolves with the status code or
 * a short error; never rejects, never returns the receiver's body.
 */
export function sendWebhook(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<SendResult> {
  return new Promise((resolve) => {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      return resolve({ error: 'invalid url' })
    }
    const host = target.hostname.replace(/^\[|\]$/g, '')
    if (isIP(host) && isBlockedAddress(host)) return resolve({ error: blockedAddress, detail: `refused: ${host} is a blocked address` })
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: checkedLookup,
      timeout: timeoutMs,
      agent: false,
    })
    let settled = false
    const finish = (result: SendResult) => {
      if (settled) return
      settled = true
      resolve(result)
    }
    req.on('socket', (socket: Socket) => {
      const check = () => {
        if (socket.remoteAddress && isBlockedAddress(socket.remoteAddress)) {
          finish({ error: blockedAddress, detail: `refused: connected peer ${socket.remoteAddress} is a blocked address` })
          req.destroy()
          return
        }
        req.end(body)
      }
      if (socket.remoteAddress) check()
      else socket.once('connect', check)
    })
    req.on('timeout', () => {
      finish({ error: connectionFailed, detail: `timeout after ${timeoutMs} ms` })
      req.destroy()
    })
    req.on('error', (err: NodeJS.ErrnoException) => {
      const detail = (err.code ? `${err.code}: ` : '') + err.message.slice(0, 200)
      finish({ error: err.code === 'EBLOCKED' ? blockedAddress : connectionFailed, detail })
    })
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => finish({ statusCode: res.statusCode }))
      res.on('error', () => finish({ statusCode: res.statusCode }))
    })
  })
}
