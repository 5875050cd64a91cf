import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { renderMetrics, ServingMetrics } from '../serving/metrics.js'
import type { EndpointStatus, InstanceStatus } from './endpoint-status.js'
import { httpMetricsSources } from './metrics-source.js'
import { parseServingMetrics, quantileSeconds, TrafficMeter } from './traffic-meter.js'

/** A serving process's /metrics as `wharf serve` renders it; each scrape first sees 20 more predictions. */
function servingProcess(metrics: ServingMetrics): Server {
  return createServer((_req, res) => {
    for (let i = 0; i < 19; i++) metrics.observe('/invocations', '3', 200, 0.002)
    metrics.observe('/v2/models/{name}/infer', '3', 500, 0.08)
    metrics.observe('/v2/health/ready', '3', 200, 0.0001)
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics([metrics.snapshot()]))
  })
}

const instance = (url: string, version: string): InstanceStatus => ({
  version,
  role: 'live',
  weight: 100,
  port: Number(new URL(url).port),
  url,
  pid: 1,
  health: 'ready',
  restarts: 0,
  startTime: 1,
})

describe('live request rate and latency of deployed versions', () => {
  let server: Server
  let url: string
  before(async () => {
    server = servingProcess(new ServingMetrics('diabetes'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('counts prediction routes only (gRPC ModelInfer among them), summing routes and versions', () => {
    const m = new ServingMetrics('m')
    m.observe('/inference.GRPCInferenceService/ModelInfer', '2', 200, 0.001)
    m.observe('/inference.GRPCInferenceService/ServerReady', '2', 200, 0.0001)
    m.observe('/invocations', '1', 200, 0.002)
    m.observe('/score', '2', 200, 0.002)
    m.observe('/v1/models/{name}:predict', '2', 503, 0.3)
    m.observe('/invocations', '2', 400, 0.001)
    m.observe('/v2/health/ready', '1', 200, 0.0001)
    m.observe('/metrics', '1', 200, 0.0001)
    const c = parseServingMetrics(renderMetrics([m.snapshot()]))
    assert.equal(c.requests, 5)
    assert.equal(c.errors, 1)
    assert.equal(c.clientErrors, 1)
    assert.deepEqual(c.buckets.at(-1), [Infinity, 5])
  })

  it('interpolates quantiles inside the bucket, as histogram_quantile does', () => {
    const before = {
      requests: 0,
      errors: 0,
      clientErrors: 0,
      buckets: [
        [0.001, 0],
        [0.002, 0],
        [0.004, 0],
        [Infinity, 0],
      ] as const,
    }
    const after = {
      requests: 100,
      errors: 0,
      clientErrors: 0,
      buckets: [
        [0.001, 0],
        [0.002, 50],
        [0.004, 100],
        [Infinity, 100],
      ] as const,
    }
    assert.equal(quantileSeconds(0.5, before, after), 0.002)
    assert.equal(quantileSeconds(0.75, before, after), 0.003)
    assert.equal(quantileSeconds(0.25, before, after), 0.0015)
    assert.equal(quantileSeconds(0.5, after, after), undefined, 'no request in the window')
  })

  it('measures the rate and p50/p99 over the window between scrapes, and names a process that does not answer', async () => {
    const meter = new TrafficMeter({ firstWindowMs: 100 })
    const endpoint: EndpointStatus = {
      environment: 'staging',
      modelName: 'diabetes',
      target: 'local',
      health: 'ready',
      traffic: { weights: { '3': 100 } },
      instances: [instance(url, '3'), instance('http://127.0.0.1:1', '2')],
    }
    const [first, gone] = await meter.measure(httpMetricsSources(endpoint))
    assert.ok(first!.windowSeconds! > 0)
    // Between the two scrapes of a first measurement, 20 predictions were counted.
    assert.ok(Math.abs(first!.requestsPerSecond! * first!.windowSeconds! - 20) < 1e-6, JSON.stringify(first))
    assert.ok(Math.abs(first!.errorsPerSecond! * first!.windowSeconds! - 1) < 1e-6)
    assert.ok(first!.p50Ms! > 1 && first!.p50Ms! <= 2.5, String(first!.p50Ms))
    assert.ok(first!.p99Ms! > 50 && first!.p99Ms! <= 100, String(first!.p99Ms))
    assert.equal(first!.requestsTotal, 40)
    assert.match(gone!.error!, /did not answer/)
    assert.equal(gone!.requestsPerSecond, undefined)

    const [second] = await meter.measure(httpMetricsSources(endpoint))
    assert.ok(Math.abs(second!.requestsPerSecond! * second!.windowSeconds! - 40) < 1e-6, 'the window reaches back to the first scrape')
    assert.equal(second!.requestsTotal, 60)
  })
})
