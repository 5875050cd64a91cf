import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A tiny in-memory stand-in for the MLflow REST API, for tests of the client and `wharf train`. */
export interface FakeMlflow {
  readonly uri: string
  readonly requests: { method: string; path: string; body: any; headers: IncomingMessage['headers'] }[]
  readonly artifacts: Map<string, Buffer>
  readonly runs: Map<string, { status: string; artifact_uri: string }>
  close(): Promise<void>
}

export async function startFakeMlflow(options: { token?: string } = {}): Promise<FakeMlflow> {
  const requests: FakeMlflow['requests'] = []
  const artifacts = new Map<string, Buffer>()
  const experiments = new Map<string, string>()
  const runs = new Map<string, { status: string; artifact_uri: string }>()
  const versions = new Map<string, number>()
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks)
    const url = new URL(req.url!, 'http://x')
    const path = url.pathname
    const isJson = req.headers['content-type'] === 'application/json'
    const body = isJson && raw.length ? JSON.parse(raw.toString()) : Object.fromEntries(url.searchParams)
    requests.push({ method: req.method!, path, body, headers: req.headers })
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(payload))
    }
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return send(401, { error_code: 'UNAUTHENTICATED', message: 'bad token' })
    if (path.startsWith('/api/2.0/mlflow-artifacts/artifacts/') && req.method === 'PUT') {
      artifacts.set(decodeURIComponent(path.slice('/api/2.0/mlflow-artifacts/artifacts/'.length)), raw)
      return send(200, {})
    }
    switch (path) {
      case '/api/2.0/mlflow/experiments/get-by-name': {
        const id = experiments.get(body.experiment_name)
        return id ? send(200, { experiment: { experiment_id: id, name: body.experiment_name } }) : send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Could not find experiment with name '${body.experiment_name}'` })
      }
      case '/api/2.0/mlflow/experiments/create': {
        const id = String(experiments.size + 1)
        experiments.set(body.name, id)
        return send(200, { experiment_id: id })
      }
      case '/api/2.0/mlflow/runs/create': {
        const runId = `run${runs.size + 1}`.padEnd(32, '0')
        const info = { run_id: runId, experiment_id: body.experiment_id, artifact_uri: `mlflow-artifacts:/${body.experiment_id}/${runId}/artifacts`, status: 'RUNNING' }
        runs.set(runId, info)
        return send(200, { run: { info, data: {} } })
      }
      case '/api/2.0/mlflow/runs/log-batch': {
        if ((body.metrics?.length ?? 0) > 1000 || (body.params?.length ?? 0) > 100 || (body.tags?.length ?? 0) > 100) return send(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'batch too large' })
        return send(200, {})
      }
      case '/api/2.0/mlflow/runs/update': {
        runs.get(body.run_id)!.status = body.status
        return send(200, { run_info: runs.get(body.run_id) })
      }
      case '/api/2.0/mlflow/registered-models/create': {
        if (versions.has(body.name)) return send(400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: `Registered Model (name=${body.name}) already exists.` })
        versions.set(body.name, 0)
        return send(200, { registered_model: { name: body.name } })
      }
      case '/api/2.0/mlflow/model-versions/create': {
        const v = (versions.get(body.name) ?? 0) + 1
        versions.set(body.name, v)
        return send(200, { model_version: { name: body.name, version: String(v), source: body.source, run_id: body.run_id, status: 'READY' } })
      }
      default:
        return send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: `no route ${path}` })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    uri: `http://127.0.0.1:${port}`, requests, artifacts, runs,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
