// The limit (docs/performance.md): reads the body, answers a fixed 25-byte JSON; no parsing, no model.
import { createServer } from 'node:http'

const body = Buffer.from('{"predictions":[151.125]}')
if (body.length !== 25) throw new Error('the limit answer must be 25 bytes')
const port = Number(process.argv[2] ?? 8090)
createServer((req, res) => {
  req.on('data', () => {})
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 25 })
    res.end(body)
  })
}).listen(port, '127.0.0.1')
