import assert from 'node:assert/strict'
import { once } from 'node:events'
import { type ClientHttp2Session, connect as connectHttp2, createServer as createHttp2Server, type Http2Server, constants as http2Constants } from 'node:http2'
import { connect, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { GrpcPassThrough } from './grpc-pass-through.js'

/**
 * An HTTP/2 server standing in for an instance: answers each request with its name, after the
 * delay in the request's `x-delay` header (ms; 'never' holds the answer back).
 */
async function namedServer(name: string): Promise<{ server: Http2Server; port: number }> {
  const server = createHttp2Server((req, res) => {
    const delay = req.headers['x-delay']
    if (delay === 'never') return
    setTimeout(() => res.end(name), Number(delay ?? 0))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as { port: number }).port }
}

/** One request on `session`; resolves to the answer's text. */
function get(session: ClientHttp2Session, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': '/', ...headers })
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (s: string) => {
      text += s
    })
    req.on('end', () => resolve(text))
    req.on('error', reject)
    req.end()
  })
}

/** Connects, sends `text`, and resolves to the first answer, or to 'closed' when the connection ends without one. */
function ask(port: number, text: string, socket: Socket = connect(port, '127.0.0.1')): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString()))
    socket.once('close', () => resolve('closed'))
    socket.once('error', () => resolve('closed'))
    socket.write(text)
  })
}

/** A real gRPC server (@grpc/grpc-js) whose one unary method answers its name. */
const service = {
  Name: {
    path: '/test.Versions/Name',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
} satisfies grpc.ServiceDefinition
async function grpcServer(name: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server()
  server.addService(service, { Name: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from(name)) })
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  )
  return { server, port }
}

describe('gRPC pass-through', { timeout: 20_000 }, () => {
  let v1: { server: Http2Server; port: number }
  let v2: { server: Http2Server; port: number }
  let passThrough: GrpcPassThrough
  let port: number

  before(async () => {
    v1 = await namedServer('v1')
    v2 = await namedServer('v2')
    passThrough = new GrpcPassThrough({ host: '127.0.0.1', port: 0, drainMs: 400 })
    port = await passThrough.listen()
  })
  after(async () => {
    await passThrough.close()
    v1.server.close()
    v2.server.close()
  })

  it('closes connections while no version is live', async () => {
    assert.equal(await ask(port, 'hello'), 'closed')
  })

  it('pipes to the live version; a switch sends GOAWAY, lets calls in flight finish on the old one, and new connections reach the new one', async () => {
    passThrough.setTarget(v1.port)
    const session = connectHttp2(`http://127.0.0.1:${port}`)
    assert.equal(await get(session), 'v1')
    assert.equal(await get(session), 'v1')
    const goaway = once(session, 'goaway')
    const closed = once(session, 'close')
    const inFlight = get(session, { 'x-delay': '150' })
    // Let the request reach v1 before the switch.
    await new Promise((resolve) => setTimeout(resolve, 30))
    passThrough.setTarget(v2.port)
    // Sent in the same turn, before the client can have read the GOAWAY: refused, so a client knows
    // it was not processed and may retry it (gRPC does so by itself); closing the connection at once
    // instead cancels it, and the client cannot tell whether it ran.
    const late = new Promise<number>((resolve) => {
      const req = session.request({ ':path': '/' })
      req.on('close', () => resolve(req.rstCode))
      req.on('error', () => {})
      req.resume()
      req.end()
    })
    const [code, lastStreamId] = (await goaway) as [number, number]
    assert.equal(code, 0, 'NO_ERROR')
    assert.equal(lastStreamId, 5, 'the last stream the client opened (1, 3, then 5)')
    assert.equal(await late, http2Constants.NGHTTP2_REFUSED_STREAM)
    assert.equal(await inFlight, 'v1', 'a call in flight finishes on the version it was sent to')
    await closed
    const next = connectHttp2(`http://127.0.0.1:${port}`)
    assert.equal(await get(next), 'v2')
    // Setting the same target again keeps connections open.
    passThrough.setTarget(v2.port)
    assert.equal(await get(next), 'v2')
    next.close()
  })

  it('closes a drained connection whose calls outlast the drain time', async () => {
    passThrough.setTarget(v1.port)
    const session = connectHttp2(`http://127.0.0.1:${port}`)
    assert.equal(await get(session), 'v1')
    const stuck = get(session, { 'x-delay': 'never' }).catch((err: Error) => err.message)
    await new Promise((resolve) => setTimeout(resolve, 30))
    const started = Date.now()
    passThrough.setTarget(v2.port)
    await once(session, 'close')
    const waited = Date.now() - started
    assert.ok(waited >= 350, `closed after ${waited} ms, before the 400 ms drain time`)
    assert.notEqual(await stuck, 'v1')
  })

  it('a gRPC client (@grpc/grpc-js) calling in the same turn as each switch gets the new version every time (30 switches)', async () => {
    const a = await grpcServer('a')
    const b = await grpcServer('b')
    const Client = grpc.makeGenericClientConstructor(service, 'Versions')
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
    const name = () =>
      new Promise<string>((resolve, reject) =>
        (client as unknown as { Name: (r: Buffer, cb: (e: Error | null, v?: Buffer) => void) => void }).Name(Buffer.alloc(0), (err, v) =>
          err ? reject(err) : resolve(v!.toString()),
        ),
      )
    try {
      passThrough.setTarget(a.port)
      assert.equal(await name(), 'a')
      for (let i = 0; i < 30; i++) {
        const live = i % 2 === 0 ? b : a
        // The call goes out in the same turn as the switch, on the connection to the old version.
        passThrough.setTarget(live.port)
        assert.equal(await name(), live === a ? 'a' : 'b', `switch ${i + 1}`)
      }
    } finally {
      client.close()
      a.server.forceShutdown()
      b.server.forceShutdown()
    }
  })
})
