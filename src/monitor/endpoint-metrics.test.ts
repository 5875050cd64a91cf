import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { MetricsSource } from '../deploy/index.js'
import { renderMetrics, ServingMetrics } from '../serving/metrics.js'
import { renderEndpointMetrics } from './endpoint-metrics.js'

/** A loopback server answering /metrics as `wharf serve` does, or with `status`, or never. */
function instance(answer: 'metrics' | 'unauthorized' | 'silent', metrics?: ServingMetrics): Server {
  return createServer((_req, res) => {
    if (answer === 'silent') return // holds the request open: the scrape times out
    if (answer === 'unauthorized') return void res.writeHead(401).end()
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics([metrics!.snapshot()]))
  })
}

const listen = (server: Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)))

const source = (url: string, version: string): MetricsSource => ({
  key: url,
  version,
  role: 'live',
  url,
  read: async (timeoutMs) => {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })
    if (!res.ok) throw new Error(`/metrics answered ${res.status}`)
    return res.text()
  },
})

describe("the control plane's endpoint metrics", () => {
  const servers: Server[] = []
  const urls: string[] = []

  before(async () => {
    const podA = new ServingMetrics('fraud')
    const podB = new ServingMetrics('fraud')
    for (let i = 0; i < 7; i++) podA.observe('/invocations', '2', 200, 0.002)
    podA.observe('/invocations', '2', 400, 0.001)
    for (let i = 0; i < 5; i++) podB.observe('/inference.GRPCInferenceService/ModelInfer', '2', 200, 0.001)
    podB.observe('/invocations', '2', 503, 0.1)
    podB.observe('/v2/health/ready', '2', 200, 0.0001)
    servers.push(instance('metrics', podA), instance('metrics', podB), instance('unauthorized'), instance('silent'))
    for (const s of servers) urls.push(await listen(s))
  })
  after(() => {
    for (const s of servers) s.closeAllConnections()
    return Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  })

  it('sums the instances that answer; one refusing or silent leaves their numbers and the page intact, counted as scrape errors', async () => {
    const page = await renderEndpointMetrics(
      [
        {
          environment: 'production',
          modelName: 'fraud',
          sources: [source(urls[0]!, '2'), source(urls[1]!, '2'), source(urls[2]!, '2'), source(urls[3]!, '2')],
        },
      ],
      300,
    )
    const labels = 'model="fraud",environment="production",version="2"'
    assert.match(page, new RegExp(`^wharf_endpoint_requests_total\\{${labels}\\} 14$`, 'm'), page)
    assert.match(page, new RegExp(`^wharf_endpoint_errors_total\\{${labels}\\} 1$`, 'm'))
    assert.match(page, new RegExp(`^wharf_endpoint_client_errors_total\\{${labels}\\} 1$`, 'm'))
    assert.match(page, new RegExp(`^wharf_endpoint_request_duration_seconds_count\\{${labels}\\} 14$`, 'm'))
    assert.match(page, /^wharf_endpoint_scrape_errors 2$/m)
  })
})
