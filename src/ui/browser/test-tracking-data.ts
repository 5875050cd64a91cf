import { crc32, deflateSync } from 'node:zlib'
import { api } from './test-harness.js'

/** What the tracking browser tests look for, created through the REST API as any client would. */
export interface SeededRun {
  readonly runId: string
  readonly name: string
  readonly lr: string
  readonly model: string
  readonly rmse: number
  readonly team: string
}

export const seededRuns = [
  { name: 'alpha-run', lr: '0.1', model: 'gbdt', rmse: 0.42, team: 'vision' },
  { name: 'beta-run', lr: '0.01', model: 'linear', rmse: 0.91, team: 'speech' },
  { name: 'gamma-run', lr: '0.001', model: 'gbdt', rmse: 0.27, team: 'vision' },
] as const

export const historySteps = 300

/** A 4×3 PNG of one colour, made here so the test carries no binary file. */
export function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(4, 0)
  ihdr.writeUInt32BE(3, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit RGB
  const row = Buffer.from([0, ...Array.from({ length: 4 }, () => [220, 60, 40]).flat()])
  const idat = deflateSync(Buffer.concat([row, row, row]))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** An MLmodel file as MLflow writes one for a scikit-learn model with a signature. */
export const mlmodelText = (runId: string) => `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.9
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.0
mlflow_version: 2.14.1
model_size_bytes: 1234
model_uuid: 5c4f0a0e2a6b4b64a4a3f1c7d1b2e3f4
run_id: ${runId}
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "age", "required": true}, {"type": "double", "name": "bmi", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
utc_time_created: '2024-06-01 10:00:00.000000'
`

export const csvText = 'age,bmi,target\n0.038,0.061,151\n-0.001,-0.051,75\n0.085,0.044,141\n'
export const notesText = 'Trained on the diabetes data.\nNothing unusual happened.\n'
export const metricsJson = { rmse: 0.42, r2: 0.61, folds: [0.4, 0.44] }

async function upload(base: string, proxyRoot: string, path: string, body: string | Buffer): Promise<void> {
  const res = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${proxyRoot}/${path}`, { method: 'PUT', body })
  if (!res.ok) throw new Error(`upload ${path}: ${res.status} ${await res.text()}`)
}

/** The runs table and pages' data: three runs with params, tags, metric histories and artifacts. */
export async function seedTracking(base: string): Promise<{ experimentId: string; runs: SeededRun[] }> {
  const { experiment_id: experimentId } = await api(base, 'POST', 'mlflow/experiments/create', { name: 'ui-tracking' })
  const runs: SeededRun[] = []
  for (const [i, r] of seededRuns.entries()) {
    const start = Date.UTC(2026, 0, 1, 12, i)
    const { run } = await api(base, 'POST', 'mlflow/runs/create', {
      experiment_id: experimentId,
      run_name: r.name,
      start_time: start,
      user_id: 'ana',
      tags: [{ key: 'team', value: r.team }],
    })
    const runId = run.info.run_id as string
    const history = Array.from({ length: historySteps }, (_, step) => [
      { key: 'loss', value: (1 + i) * Math.exp(-step / 80) + 0.01, timestamp: start + step, step },
      { key: 'accuracy', value: 1 - 0.5 * Math.exp(-step / (60 + 20 * i)), timestamp: start + step, step },
    ]).flat()
    for (let k = 0; k < history.length; k += 500) await api(base, 'POST', 'mlflow/runs/log-batch', { run_id: runId, metrics: history.slice(k, k + 500) })
    await api(base, 'POST', 'mlflow/runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'rmse', value: r.rmse, timestamp: start, step: 0 }],
      params: [
        { key: 'lr', value: r.lr },
        { key: 'model', value: r.model },
        { key: 'seed', value: '42' },
      ],
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    })
    await api(base, 'POST', 'mlflow/runs/update', { run_id: runId, status: 'FINISHED', end_time: start + 95_000 + i * 1000 })
    runs.push({ runId, ...r })
  }
  const alpha = (await api(base, 'GET', `mlflow/runs/get?run_id=${runs[0]!.runId}`)).run
  const root = String(alpha.info.artifact_uri).replace(/^mlflow-artifacts:\/*/, '')
  await upload(base, root, 'notes.txt', notesText)
  await upload(base, root, 'metrics.json', JSON.stringify(metricsJson))
  await upload(base, root, 'data/sample.csv', csvText)
  await upload(base, root, 'plot.png', tinyPng())
  await upload(base, root, 'model/MLmodel', mlmodelText(runs[0]!.runId))
  await upload(base, root, 'model/input_example.json', JSON.stringify({ columns: ['age', 'bmi'], data: [[0.038, 0.061]] }))
  return { experimentId, runs }
}

/** Many runs for the virtual-scrolling check, with one metric each; eight requests in flight. */
export async function seedManyRuns(base: string, count: number): Promise<string> {
  const { experiment_id: experimentId } = await api(base, 'POST', 'mlflow/experiments/create', { name: 'ui-many-runs' })
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const { run } = await api(base, 'POST', 'mlflow/runs/create', {
        experiment_id: experimentId,
        run_name: `bulk-${String(i).padStart(5, '0')}`,
        start_time: 1_700_000_000_000 + i * 1000,
      })
      await api(base, 'POST', 'mlflow/runs/log-batch', { run_id: run.info.run_id, metrics: [{ key: 'score', value: i, timestamp: 0, step: 0 }] })
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return experimentId
}
