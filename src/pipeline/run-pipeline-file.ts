import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { type Config, readEnvironmentVariables } from '../config.js'
import { ServerClient, type ServerConnection } from './pipeline-client.js'
import { loadPipeline, type PipelineDef } from './pipeline-file.js'
import { HttpRunRecorder } from './run-recorder.js'
import { runPipeline } from './runner.js'
import { loadSecrets, Masker } from './secrets.js'
import { definedOnly, inheritedVariables, secretVariables } from './step-environment.js'

export interface RunFlags {
  readonly stage?: readonly string[]
  readonly var?: readonly string[]
  readonly runKey?: string
  readonly trigger?: string
  readonly approvals?: string
}

export const connectionOf = (config: Config): ServerConnection => ({ trackingUri: config.trackingUri, token: config.trackingToken, user: config.user })

function parseVars(pairs: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new Error(`--var must be NAME=VALUE, got '${pair}'`)
    out[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return out
}

/**
 * Every credential this process holds, masked like the pipeline's secrets: a step is given the
 * tracking token (to reach the server) and may print it, and the others must never show either.
 */
function runnerCredentials(config: Config): string[] {
  const values = [config.trackingToken, config.authToken, config.pipelineWebhookSecret, config.serveApiKey, config.serveApiKeySecondary]
  try {
    values.push(decodeURIComponent(new URL(config.trackingUri ?? '').password))
  } catch {
    // not a URL: nothing in it to mask
  }
  return values.filter((v): v is string => v !== undefined && v !== '')
}

async function prepare(file: string, config: Config): Promise<{ pipeline: PipelineDef; secrets: Record<string, string>; masker: Masker }> {
  const pipeline = await loadPipeline(resolve(file))
  const secrets = await loadSecrets(pipeline, readEnvironmentVariables(secretVariables(pipeline.secrets)))
  return { pipeline, secrets, masker: new Masker([...Object.values(secrets), ...runnerCredentials(config)]) }
}

const modelCacheDirOf = (config: Config) => config.pipelineModelCacheDir ?? join(tmpdir(), `wharf-pipeline-models-${safeUser()}`)

function safeUser(): string {
  try {
    return userInfo().username.replace(/[^\w-]/g, '_')
  } catch {
    return 'user'
  }
}

/**
 * `wharf pipeline run [FILE]` and `wharf pipeline resume RUN`: runs the stages with live progress,
 * recording everything in the server; resolves with the exit code (1 when the run failed).
 * Every line printed or stored goes through the run's masker first.
 */
export async function runPipelineFile(
  file: string,
  flags: RunFlags,
  config: Config,
  options: { resumeRunId?: string; out: (line: string) => void },
): Promise<number> {
  const connection = connectionOf(config)
  const client = new ServerClient(connection)
  let target = file
  if (options.resumeRunId !== undefined && file === '') target = (await client.getRun(options.resumeRunId)).file
  const { pipeline, secrets, masker } = await prepare(target, config)
  try {
    if (flags.approvals !== undefined && flags.approvals !== 'ask' && flags.approvals !== 'ci')
      throw new Error(`--approvals must be ask or ci, got '${flags.approvals}'`)
    const { builtInSteps } = await import('./steps/index.js') // models and ONNX Runtime load only when a run starts
    const controller = new AbortController()
    // Ctrl-C, or a CI system cancelling the job (both Azure Pipelines and GitHub Actions send SIGINT
    // first): steps stop what they started (a command's process group, a Databricks run) and the
    // run is recorded as failed, resumable. A second signal ends at once.
    const cancel = (signal: NodeJS.Signals) => {
      options.out(`${signal}: cancelling the run (send it again to exit at once)`)
      controller.abort(new Error(`${signal} received`))
      process.once(signal, () => process.exit(130))
    }
    const signals = ['SIGINT', 'SIGTERM'] as const
    for (const s of signals) process.once(s, cancel)
    const result = await runPipeline({
      pipeline,
      secrets,
      masker,
      recorder: new HttpRunRecorder(client),
      steps: builtInSteps,
      connection,
      out: options.out,
      resumeRunId: options.resumeRunId,
      runKey: flags.runKey,
      stages: flags.stage?.length ? flags.stage : undefined,
      trigger: flags.trigger ? (JSON.parse(flags.trigger) as Record<string, unknown>) : undefined,
      variables: parseVars(flags.var),
      env: definedOnly(readEnvironmentVariables(inheritedVariables)),
      heartbeatMs: config.pipelineHeartbeatMs,
      modelCacheDir: modelCacheDirOf(config),
      approvals: (flags.approvals as 'ask' | 'ci' | undefined) ?? 'ask',
      signal: controller.signal,
    }).finally(() => {
      for (const s of signals) process.removeListener(s, cancel)
    })
    return result.status === 'succeeded' ? 0 : 1
  } catch (err) {
    throw masker.maskError(err)
  }
}
