import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseRouteConfig, shadowLine, shadowRecordsIn } from './route-config.js'

describe('the in-cluster router configuration and its shadow log lines', () => {
  it('reads targets and a shadow, and refuses anything else with the reason', () => {
    const config = {
      targets: [{ version: '2', host: '10.96.0.7', port: 8080, weight: 100 }],
      shadow: { version: '3', host: '10.96.0.9', port: 8080, percent: 20 },
    }
    assert.deepEqual(parseRouteConfig(JSON.stringify(config)), config)
    assert.throws(() => parseRouteConfig('{'), /not JSON/)
    assert.throws(() => parseRouteConfig(JSON.stringify({ targets: [{ version: '2', host: 'h', port: 0, weight: 100 }] })), /targets\.0\.port/)
    assert.throws(() => parseRouteConfig(JSON.stringify({ ...config, extra: 1 })), /not valid/)
  })

  it("reads the live version's gRPC address and the share of predictions logged, and refuses a share of 0 or above 1", () => {
    const config = {
      targets: [{ version: '2', host: '10.96.0.7', port: 8080, weight: 100 }],
      grpc: { version: '2', host: '10.96.0.7', port: 8081 },
      capture: { sampleRate: 0.1 },
    }
    assert.deepEqual(parseRouteConfig(JSON.stringify(config)), config)
    for (const sampleRate of [0, 1.5]) assert.throws(() => parseRouteConfig(JSON.stringify({ ...config, capture: { sampleRate } })), /capture\.sampleRate/)
    assert.throws(() => parseRouteConfig(JSON.stringify({ ...config, grpc: { version: '2', host: '', port: 8081 } })), /grpc\.host/)
  })

  it('writes comparisons without request or answer bodies, and reads them back from a pod log among other lines', () => {
    const record = {
      time: 5,
      liveVersion: '2',
      shadowVersion: '3',
      liveStatus: 200,
      shadowStatus: 200,
      request: '{"secret":"row"}',
      live: '{"predictions":[1]}',
      shadow: '{"predictions":[2]}',
      comparison: { rows: 1, labelRows: 0, labelsEqual: 0, valuePairs: 1, absDiffSum: 1 },
    }
    const line = shadowLine(record)
    assert.doesNotMatch(line, /secret|predictions/)
    const log = `wharf route: v2 100% on port 8080\n${line}\n${line.slice(0, 20)}\nnot json\n`
    assert.deepEqual(shadowRecordsIn(log), [
      { time: 5, liveVersion: '2', shadowVersion: '3', liveStatus: 200, shadowStatus: 200, request: '', live: '', comparison: record.comparison },
    ])
  })
})
