import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { maxPredictionLineBytes, predictionLine, predictionOf } from './prediction-lines.js'

const captured = (request: string, response: string) => ({
  time: 1_700_000_000_000,
  requestId: 'req-1',
  version: '3',
  path: '/invocations',
  status: 200,
  request: Buffer.from(request),
  response: Buffer.from(response),
})

describe('the prediction lines of routers in a cluster', () => {
  it('carries a sampled request and its answer through a log line unchanged in meaning', () => {
    const request = '{"dataframe_split":{"columns":["a","b"],"data":[[1.5,-2],[0.1,3e-7]]}}'
    const line = predictionLine(captured(request, '{"predictions":[10.25,-3]}'))!
    assert.ok(line.startsWith('{"wharf_prediction":') && !line.includes('\n'))
    const back = predictionOf(line)!
    assert.deepEqual(
      { ...back, request: JSON.parse(back.request.toString()), response: JSON.parse(back.response.toString()) },
      {
        time: 1_700_000_000_000,
        requestId: 'req-1',
        version: '3',
        path: '/invocations',
        status: 200,
        request: JSON.parse(request),
        response: { predictions: [10.25, -3] },
      },
    )
  })

  it('captures nothing for a body that is not JSON, or a line longer than the container runtime keeps whole', () => {
    assert.equal(predictionLine(captured('\u0000\u0001binary', '{}')), undefined)
    assert.equal(predictionLine(captured(JSON.stringify({ x: 'y'.repeat(maxPredictionLineBytes) }), '{}')), undefined)
  })

  it('reads only its own lines, and skips torn or foreign ones', () => {
    const line = predictionLine(captured('{"inputs":[]}', '{"outputs":[]}'))!
    assert.equal(predictionOf('wharf route: v2 100% on port 8080'), undefined)
    assert.equal(predictionOf(line.slice(0, 30)), undefined)
    assert.equal(predictionOf('{"wharf_prediction":{"time":"soon"}}'), undefined)
    assert.equal(predictionOf('{"wharf_shadow":{}}'), undefined)
  })
})
