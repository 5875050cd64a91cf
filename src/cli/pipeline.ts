import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { type Config, readEnvironmentVariables } from '../config.js'
import {
  definedOnly, exportFormats, exportPipeline, HttpRunRecorder, inheritedVariables, loadPipeline, loadSecrets, Masker, runPipeline, secretVariables, ServerClient,
  type ExportFormat, type PipelineDef, type ServerConnection, type WireRun,
} from '../pipeline/index.js'

export interface RunFlags {
  readonly stage?: readonly string[]
  readonly var?: readonly string[]
  readonly runKey?: string
  readonly trigger?: string
  readonly approvals?: string
}

type Out = (line: string) => void
const stdout: Out = (line) => process.stdout.write(line + '\n')

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
export async function runPipelineCommand(file: string, flags: RunFlags, config: Config, options: { resumeRunId?: string; out?: Out } = {}): Promise<number> {
  const out = options.out ?? stdout
  const connection = connectionOf(config)
  const client = new ServerClient(connection)
  let target = file
  if (options.resumeRunId !== undefined && file === '') target = (await client.getRun(options.resumeRunId)).file
  const { pipeline, secrets, masker } = await prepare(target, config)
  try {
    if (flags.approvals !== undefined && flags.approvals !== 'ask' && flags.approvals !== 'ci') throw new Error(`--approvals must be ask or ci, got '${flags.approvals}'`)
    const { builtInSteps } = await import('../pipeline/steps/index.js') // models and ONNX Runtime load only when a run starts
    const controller = new AbortController()
    const result = await runPipeline({
      pipeline, secrets, masker, recorder: new HttpRunRecorder(client), steps: builtInSteps, connection, out,
      resumeRunId: options.resumeRunId, runKey: flags.runKey, stages: flags.stage?.length ? flags.stage : undefined,
      trigger: flags.trigger ? (JSON.parse(flags.trigger) as Record<string, unknown>) : undefined, variables: parseVars(flags.var),
      env: definedOnly(readEnvironmentVariables(inheritedVariables)), heartbeatMs: config.pipelineHeartbeatMs, modelCacheDir: modelCacheDirOf(config), approvals: (flags.approvals as 'ask' | 'ci' | undefined) ?? 'ask', signal: controller.signal,
    })
    return result.status === 'succeeded' ? 0 : 1
  } catch (err) {
    throw masker.maskError(err)
  }
}

/** `wharf pipeline runs`: newest first. */
export async function listRuns(flags: { pipeline?: string; json?: boolean }, config: Config, out: Out = stdout): Promise<void> {
  const runs = await new ServerClient(connectionOf(config)).listRuns(flags.pipeline)
  if (flags.json) return out(JSON.stringify(runs, null, 2))
  if (runs.length === 0) return out('no pipeline runs')
  const rows = [['RUN', 'PIPELINE', 'STATUS', 'STARTED', 'DURATION', 'TRIGGER', 'STAGES']]
  for (const r of runs) {
    const duration = r.end_time ? `${((r.end_time - r.start_time) / 1000).toFixed(1)} s` : '-'
    rows.push([r.run_id, r.pipeline, r.status, new Date(r.start_time).toISOString(), duration, String(r.trigger.kind ?? '-'), (r.selected_stages ?? ['all']).join(',')])
  }
  printTable(rows, out)
}

/** `wharf pipeline logs RUN`: each stage and step with status and timing, then the stored log lines. */
export async function showLogs(runId: string, flags: { json?: boolean; follow?: boolean }, config: Config, out: Out = stdout): Promise<void> {
  const client = new ServerClient(connectionOf(config))
  const run = await client.getRun(runId)
  if (flags.json) {
    const lines = await allLogs(client, runId)
    return out(JSON.stringify({ run, lines }, null, 2))
  }
  out(`run ${run.run_id} of pipeline ${run.pipeline}: ${run.status}${run.error ? ` (${run.error})` : ''}`)
  for (const stage of run.stages) {
    out(`${mark(stage.status)} stage ${stage.stage}: ${stage.status}${timing(stage)}`)
    for (const step of run.steps.filter((s) => s.stage === stage.stage)) {
      const outputs = Object.entries(step.outputs).map(([k, v]) => `${k}=${v}`).join(' ')
      out(`  ${mark(step.status)} ${step.step} (${step.kind}): ${step.status}${timing(step)}${step.attempts > 1 ? `, ${step.attempts} attempts` : ''}${outputs ? `  ${outputs}` : ''}${step.error ? `  error: ${step.error}` : ''}`)
    }
  }
  out('')
  let after: number | undefined
  for (;;) {
    const page = await client.listLogs(runId, after)
    for (const l of page.lines) out(`${new Date(l.time).toISOString()} [${l.stage}/${l.step}] ${l.line}`)
    after = page.lines.at(-1)?.log_id ?? after
    if (page.next_after !== undefined) continue
    if (!flags.follow || ['succeeded', 'failed'].includes((await client.getRun(runId)).status)) break
    await new Promise((r) => setTimeout(r, 1000))
  }
}

async function allLogs(client: ServerClient, runId: string) {
  const lines = []
  let after: number | undefined
  for (;;) {
    const page = await client.listLogs(runId, after)
    lines.push(...page.lines)
    if (page.next_after === undefined) return lines
    after = page.next_after
  }
}

const mark = (status: string) => ({ succeeded: '✓', failed: '✗', running: '▶', waiting: '…', skipped: '-', pending: ' ' })[status] ?? '?'
const timing = (r: { start_time: number | null; end_time: number | null }) => (r.start_time && r.end_time ? `, ${((r.end_time - r.start_time) / 1000).toFixed(1)} s` : '')

/** `wharf pipeline approve|reject RUN [--step NAME]`: the waiting gate unless one is named. */
export async function decide(runId: string, decision: 'approved' | 'rejected', flags: { step?: string; comment?: string }, config: Config, out: Out = stdout): Promise<void> {
  const client = new ServerClient(connectionOf(config))
  let step = flags.step
  if (step === undefined) {
    const run: WireRun = await client.getRun(runId)
    const waiting = run.steps.filter((s) => s.kind === 'gate' && s.status === 'waiting')
    const gates = waiting.length > 0 ? waiting : run.steps.filter((s) => s.kind === 'gate' && (s.status === 'pending' || s.status === 'running'))
    if (gates.length !== 1) throw new Error(gates.length === 0 ? `run ${runId} has no gate waiting for a decision` : `run ${runId} has several gates; name one with --step`)
    step = gates[0]!.step
  }
  const { actor } = await client.post('wharf/pipelines/runs/decide', { run_id: runId, step, decision, ...(flags.comment ? { comment: flags.comment } : {}) })
  out(`${decision} step '${step}' of run ${runId}, recorded as ${actor ?? 'unknown'} (Wharf has no user accounts yet: the server records who authenticated, not WHARF_USER)`)
}

/** `wharf pipeline export --format F [FILE] [--output PATH]`. */
export async function exportCommand(file: string, flags: { format: string; output?: string }, out: Out = stdout): Promise<void> {
  if (!(exportFormats as readonly string[]).includes(flags.format)) throw new Error(`--format must be one of ${exportFormats.join(', ')}, got '${flags.format}'`)
  const pipeline = await loadPipeline(resolve(file))
  // Secret values are not needed to export; those that are set still feed the masker, as a second guard.
  const envNames = Object.values(pipeline.secrets).flatMap((s) => ('env' in s ? [s.env] : []))
  const optional = { ...pipeline, secrets: Object.fromEntries(Object.entries(pipeline.secrets).map(([k, s]) => [k, { ...s, optional: true }])) }
  const masker = new Masker(Object.values(await loadSecrets(optional, readEnvironmentVariables(envNames))))
  const text = exportPipeline(pipeline, flags.format as ExportFormat, process.cwd(), masker)
  if (flags.output === undefined) return out(text.trimEnd())
  await mkdir(dirname(resolve(flags.output)), { recursive: true })
  await writeFile(flags.output, text)
  out(`wrote ${flags.output}`)
}

function printTable(rows: string[][], out: Out): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const r of rows) out(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd())
}
