import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { CapturedPrediction, PredictionTap } from '../prediction-tap.js'
import type { KubernetesEnvironment } from '../environments.js'
import { tempDir } from '../../testing/fixtures.js'
import type { KubernetesApi, LiveObject } from './kube-api.js'
import { EndpointNames } from './names.js'
import { predictionLine } from './prediction-lines.js'
import { shadowLine } from './route-config.js'
import { RouterLogHarvest } from './router-log-harvest.js'

/** A cluster of router pods whose logs the test writes (a stand-in for the kubelet's log API). */
class PodLogs {
  readonly logs = new Map<string, string[]>()
  readonly asked: { pod: string; sinceSeconds?: number | undefined }[] = []
  readonly api = {
    list: async () => [...this.logs.keys()].map((name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name } }) as LiveObject),
    podLog: async (_ns: string, pod: string, options?: { sinceSeconds?: number; timestamps?: boolean }) => {
      this.asked.push({ pod, sinceSeconds: options?.sinceSeconds })
      assert.equal(options?.timestamps, true)
      return `${(this.logs.get(pod) ?? []).join('\n')}\n`
    },
  } as unknown as KubernetesApi

  write(pod: string, nanos: string, text: string): void {
    const lines = this.logs.get(pod) ?? []
    lines.push(`${new Date().toISOString().slice(0, 19)}.${nanos}Z ${text}`)
    this.logs.set(pod, lines)
  }
}

const prediction = (requestId: string): CapturedPrediction => ({
  time: 1,
  requestId,
  version: '1',
  path: '/invocations',
  status: 200,
  request: Buffer.from('{"inputs":[[1,2]]}'),
  response: Buffer.from('{"predictions":[3]}'),
})

const recordingTap = () => {
  const taken: CapturedPrediction[] = []
  const tap: PredictionTap = { shouldCapture: () => true, capture: (p) => taken.push(p) }
  return { tap, taken }
}

describe('harvesting the logs of an endpoint routers in a cluster', () => {
  const env = { name: 'production', namespace: 'ml' } as KubernetesEnvironment
  const names = new EndpointNames('production', 'fraud')

  it('hands each sampled prediction to the tap once, across rounds and a restart of the control plane', async () => {
    const dir = await tempDir('harvest')
    const pods = new PodLogs()
    pods.write('router-a', '100000000', 'wharf route: v1 100% on port 8080')
    pods.write('router-a', '200000000', predictionLine(prediction('a1'))!)
    pods.write('router-b', '300000000', predictionLine(prediction('b1'))!)
    const first = recordingTap()
    const harvest = new RouterLogHarvest(dir)
    await harvest.collect(pods.api, env, names, first.tap)
    await harvest.collect(pods.api, env, names, first.tap)
    assert.deepEqual(
      first.taken.map((p) => p.requestId),
      ['a1', 'b1'],
    )
    assert.deepEqual(
      pods.asked.slice(0, 2).map((a) => a.sinceSeconds),
      [undefined, undefined],
      'the whole log the first time',
    )
    assert.ok(
      pods.asked.slice(2).every((a) => a.sinceSeconds !== undefined && a.sinceSeconds >= 60),
      'only the recent lines after',
    )
    await harvest.close()

    pods.write('router-a', '400000000', predictionLine(prediction('a2'))!)
    const second = recordingTap()
    const restarted = new RouterLogHarvest(dir)
    await restarted.collect(pods.api, env, names, second.tap)
    assert.deepEqual(
      second.taken.map((p) => p.requestId),
      ['a2'],
      'the marks on disk survive the restart',
    )
    await restarted.close()
  })

  it('sends shadow comparisons to the shadow log and predictions to the tap from the same log, in overlapping calls', async () => {
    const dir = await tempDir('harvest')
    const pods = new PodLogs()
    const comparison = { rows: 1, labelRows: 0, labelsEqual: 0, valuePairs: 1, absDiffSum: 0.5 }
    const shadow = { time: 5, liveVersion: '2', shadowVersion: '3', liveStatus: 200, shadowStatus: 200, request: '', live: '', comparison }
    pods.write('router-a', '100000000', shadowLine(shadow))
    pods.write('router-a', '200000000', predictionLine(prediction('p1'))!)
    const { tap, taken } = recordingTap()
    const harvest = new RouterLogHarvest(dir)
    const rounds = await Promise.all([harvest.collect(pods.api, env, names, tap), harvest.collect(pods.api, env, names, tap)])
    assert.deepEqual(
      rounds.map((reports) => reports.map((r) => [r.liveVersion, r.shadowVersion, r.shadowedRequests, r.meanAbsoluteDifference])),
      [[['2', '3', 1, 0.5]], [['2', '3', 1, 0.5]]],
      'the second call took nothing the first had taken',
    )
    assert.deepEqual(
      taken.map((p) => p.requestId),
      ['p1'],
    )
    await harvest.close()
  })
})
