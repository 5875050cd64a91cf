import { getRequestListener } from '@hono/node-server'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Hono } from 'hono'
import { errorBody, invalidParameter, invalidPath } from '../errors.js'
import type { AppEnv } from './app-env.js'

const invalidUrlBody = JSON.stringify(errorBody(invalidPath()))

/**
 * Serves a Hono app on node:http. URLs that the adapter would refuse with an empty 400 (a raw
 * backslash, which no API path contains) are answered here in MLflow's error shape instead, as are
 * requests Node's own parser refuses.
 */
export async function serveApp(app: Hono<AppEnv>, host: string, port: number): Promise<{ server: Server; port: number }> {
  const listener = getRequestListener(app.fetch)
  const server = createServer((req, res) => {
    if ((req.url ?? '').includes('\\')) {
      res.writeHead(400, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' }).end(invalidUrlBody)
      return
    }
    void listener(req, res)
  })
  // Node closes idle keep-alive sockets after 5 s by default. Pooling clients (the MLflow client's
  // requests session) reuse a socket without knowing that, and a request sent as the server closes it
  // fails with "connection closed without response". Keep idle sockets well past any client's pause.
  server.keepAliveTimeout = 65_000
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy()
    const body = JSON.stringify(errorBody(err.code === 'HPE_INVALID_URL' ? invalidPath() : invalidParameter('Malformed request')))
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  return { server, port: (server.address() as AddressInfo).port }
}
