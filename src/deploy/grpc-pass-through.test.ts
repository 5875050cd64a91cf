import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { GrpcPassThrough } from './grpc-pass-through.js'

/** A TCP server that answers every chunk with its name and the chunk, standing in for an instance. */
async function namedEcho(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on('data', (chunk: Buffer) => socket.write(`${name}:${chunk.toString()}`)))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as { port: number }).port }
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

describe('gRPC pass-through', () => {
  let v1: { server: Server; port: number }
  let v2: { server: Server; port: number }
  let passThrough: GrpcPassThrough
  let port: number

  before(async () => {
    v1 = await namedEcho('v1')
    v2 = await namedEcho('v2')
    passThrough = new GrpcPassThrough({ host: '127.0.0.1', port: 0 })
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

  it('pipes to the live version, and moves clients to the next one by closing their connections', async () => {
    passThrough.setTarget(v1.port)
    const socket = connect(port, '127.0.0.1')
    assert.equal(await ask(port, 'a', socket), 'v1:a')
    const closed = once(socket, 'close')
    passThrough.setTarget(v2.port)
    await closed
    assert.equal(await ask(port, 'b'), 'v2:b')
    // Setting the same target again keeps connections open.
    const kept = connect(port, '127.0.0.1')
    assert.equal(await ask(port, 'c', kept), 'v2:c')
    passThrough.setTarget(v2.port)
    assert.equal(await ask(port, 'd', kept), 'v2:d')
    kept.destroy()
  })
})
