import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, normalize, resolve, sep } from 'node:path'
import type { Command } from 'commander'
import { type Config, loadConfig, readEnvironmentVariables } from '../config.js'
import type { ExportFormat, RunFlags, ServerClient, WharfInstall, WireRun } from '../pipeline/index.js'
import { formatTable, repeatable } from './output.js'

type Out = (line: string) => void
const stdout: Out = (line) => process.stdout.write(`${line}\n`)

/** Pipelines: wharf.yaml stages run by this process, recorded in the server (src/pipeline). */
export function register(program: Command): void {
  const pipeline = program
    .command('pipeline')
    .description('Run wharf.yaml pipelines (train → register → deploy → test → gate → promote), see their runs and logs, approve gates, export to CI.')
  pipeline
    .command('run [file]')
    .description('Run the pipeline with live progress; each stage and step, its timings, outputs and logs are stored in the server. Exits 1 if a stage fails.')
    .option('--stage <name>', 'run only this stage (repeatable); the others stay pending', repeatable)
    .option('--var <name=value>', 'override a variable of wharf.yaml (repeatable)', repeatable)
    .option('--run-key <key>', 'join the run with this key if there is one (CI jobs of one build pass the build id)')
    .option('--approvals <mode>', "'ask' (default): manual gates wait for `wharf pipeline approve`; 'ci': the CI environment approved already")
    .option('--trigger <json>', 'what started the run (set by the webhook receiver)')
    .action(async (file: string | undefined, flags: RunFlags) => {
      const config = loadConfig()
      process.exitCode = await runPipelineCommand(file ?? config.projectFile, flags, config)
    })
  pipeline
    .command('resume <run> [file]')
    .description(
      "Continue an interrupted or failed run from the step that did not finish; finished steps are never run again. FILE: this machine's copy of the wharf.yaml (default: the file the server has configured for the pipeline).",
    )
    .action(async (runId: string, file: string | undefined) => {
      process.exitCode = await runPipelineCommand(file ?? '', {}, loadConfig(), runId)
    })
  pipeline
    .command('runs')
    .description('Pipeline runs, newest first.')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--json', 'print JSON')
    .action((flags) => listRuns(flags, loadConfig()))
  pipeline
    .command('logs <run>')
    .description("A run's stages and steps (status, timings, outputs) and its stored log lines.")
    .option('--follow', 'keep printing new lines until the run ends')
    .option('--json', 'print JSON')
    .action((runId: string, flags) => showLogs(runId, flags, loadConfig()))
  for (const [verb, decision] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const) {
    pipeline
      .command(`${verb} <run>`)
      .description(`${verb === 'approve' ? 'Approve' : 'Reject'} the gate of a run that waits for a manual decision.`)
      .option('--step <name>', 'the gate step (default: the one waiting)')
      .option('--comment <text>', 'recorded with the decision')
      .action((runId: string, flags) => decide(runId, decision, flags, loadConfig()))
  }
  pipeline
    .command('export [file]')
    .description(
      "Write the same stages as a CI file whose jobs call `wharf`: Azure Pipelines or GitHub Actions, environments for approvals, secrets in the CI's syntax.",
    )
    .requiredOption('--format <format>', 'azure-pipelines or github-actions')
    .option('--output <path>', 'write here instead of printing')
    .option('--install <from>', 'how jobs get this wharf version: registry (npm) or tarball (npm pack of a Wharf checkout in the repo)', 'registry')
    .option('--wharf-dir <dir>', 'with --install tarball: the Wharf checkout, relative to the repository root', '.')
    .action((file: string | undefined, flags) => exportCommand(file ?? loadConfig().projectFile, flags))
}

/** `wharf pipeline run [FILE]` / `resume RUN` (pipeline/run-pipeline-file.ts); resolves with the exit code. */
async function runPipelineCommand(file: string, flags: RunFlags, config: Config, resumeRunId?: string): Promise<number> {
  const { runPipelineFile } = await import('../pipeline/index.js')
  return runPipelineFile(file, flags, config, { out: stdout, ...(resumeRunId === undefined ? {} : { resumeRunId }) })
}

async function clientOf(config: Config): Promise<ServerClient> {
  const { ServerClient, connectionOf } = await import('../pipeline/index.js')
  return new ServerClient(connectionOf(config))
}

/** `wharf pipeline runs`: newest first. */
async function listRuns(flags: { pipeline?: string; json?: boolean }, config: Config, out: Out = stdout): Promise<void> {
  const runs = await (await clientOf(config)).listRuns(flags.pipeline)
  if (flags.json) return out(JSON.stringify(runs, null, 2))
  if (runs.length === 0) return out('no pipeline runs')
  const rows = [['RUN', 'PIPELINE', 'STATUS', 'STARTED', 'DURATION', 'TRIGGER', 'STAGES']]
  for (const r of runs) {
    const duration = r.end_time ? `${((r.end_time - r.start_time) / 1000).toFixed(1)} s` : '-'
    rows.push([
      r.run_id,
      r.pipeline,
      r.status,
      new Date(r.start_time).toISOString(),
      duration,
      String(r.trigger.kind ?? '-'),
      (r.selected_stages ?? ['all']).join(','),
    ])
  }
  for (const line of formatTable(rows[0]!, rows.slice(1))) out(line)
}

/** `wharf pipeline logs RUN`: each stage and step with status and timing, then the stored log lines. */
async function showLogs(runId: string, flags: { json?: boolean; follow?: boolean }, config: Config, out: Out = stdout): Promise<void> {
  const client = await clientOf(config)
  const run = await client.getRun(runId)
  if (flags.json) {
    const lines = await allLogs(client, runId)
    return out(JSON.stringify({ run, lines }, null, 2))
  }
  out(`run ${run.run_id} of pipeline ${run.pipeline}: ${run.status}${run.error ? ` (${run.error})` : ''}`)
  for (const stage of run.stages) {
    out(`${mark(stage.status)} stage ${stage.stage}: ${stage.status}${timing(stage)}`)
    for (const step of run.steps.filter((s) => s.stage === stage.stage)) {
      const outputs = Object.entries(step.outputs)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
      out(
        `  ${mark(step.status)} ${step.step} (${step.kind}): ${step.status}${timing(step)}${step.attempts > 1 ? `, ${step.attempts} attempts` : ''}${outputs ? `  ${outputs}` : ''}${step.error ? `  error: ${step.error}` : ''}`,
      )
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
const timing = (r: { start_time: number | null; end_time: number | null }) =>
  r.start_time && r.end_time ? `, ${((r.end_time - r.start_time) / 1000).toFixed(1)} s` : ''

/** `wharf pipeline approve|reject RUN [--step NAME]`: the waiting gate unless one is named. */
async function decide(
  runId: string,
  decision: 'approved' | 'rejected',
  flags: { step?: string; comment?: string },
  config: Config,
  out: Out = stdout,
): Promise<void> {
  const client = await clientOf(config)
  let step = flags.step
  if (step === undefined) {
    const run: WireRun = await client.getRun(runId)
    const waiting = run.steps.filter((s) => s.kind === 'gate' && s.status === 'waiting')
    const gates = waiting.length > 0 ? waiting : run.steps.filter((s) => s.kind === 'gate' && (s.status === 'pending' || s.status === 'running'))
    if (gates.length !== 1)
      throw new Error(gates.length === 0 ? `run ${runId} has no gate waiting for a decision` : `run ${runId} has several gates; name one with --step`)
    step = gates[0]!.step
  }
  const { actor } = await client.post('wharf/pipelines/runs/decide', { run_id: runId, step, decision, ...(flags.comment ? { comment: flags.comment } : {}) })
  out(
    `${decision} step '${step}' of run ${runId}, recorded as ${actor ?? 'unknown'} (Wharf has no user accounts yet: the server records who authenticated, not WHARF_USER)`,
  )
}

/** `wharf pipeline export --format F [FILE] [--output PATH] [--install registry|tarball] [--wharf-dir DIR]`. */
async function exportCommand(file: string, flags: { format: string; output?: string; install?: string; wharfDir?: string }, out: Out = stdout): Promise<void> {
  const { exportFormats, exportPipeline, installSources, loadPipeline, loadSecrets, Masker, registryInstall } = await import('../pipeline/index.js')
  if (!(exportFormats as readonly string[]).includes(flags.format))
    throw new Error(`--format must be one of ${exportFormats.join(', ')}, got '${flags.format}'`)
  const from = flags.install ?? 'registry'
  if (!(installSources as readonly string[]).includes(from)) throw new Error(`--install must be one of ${installSources.join(', ')}, got '${from}'`)
  const wharfDir = flags.wharfDir ?? '.'
  if (isAbsolute(wharfDir) || normalize(wharfDir).split(sep).includes('..'))
    throw new Error(`--wharf-dir must be a folder inside the repository, relative to its root, got '${wharfDir}'`)
  const install = { ...registryInstall, from: from as WharfInstall['from'], dir: wharfDir }
  const pipeline = await loadPipeline(resolve(file))
  // Secret values are not needed to export; those that are set still feed the masker, as a second guard.
  const envNames = Object.values(pipeline.secrets).flatMap((s) => ('env' in s ? [s.env] : []))
  const optional = { ...pipeline, secrets: Object.fromEntries(Object.entries(pipeline.secrets).map(([k, s]) => [k, { ...s, optional: true }])) }
  const masker = new Masker(Object.values(await loadSecrets(optional, readEnvironmentVariables(envNames))))
  const text = exportPipeline(pipeline, flags.format as ExportFormat, process.cwd(), masker, install)
  if (flags.output === undefined) return out(text.trimEnd())
  await mkdir(dirname(resolve(flags.output)), { recursive: true })
  await writeFile(flags.output, text)
  out(`wrote ${flags.output}`)
}
