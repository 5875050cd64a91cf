import type { Command } from 'commander'
import { deployConnection } from './deploy.js'
import { emit, formatTable, type OutputOptions } from './output.js'

export function register(program: Command): void {
  program
    .command('monitor <model>')
    .description("Drift of a deployed model: each feature's PSI and KS distance against its training profile, and the predictions' PSI.")
    .requiredOption('--env <environment>', 'the environment it is deployed in')
    .option('--version <n>', 'a version other than the one that answered last')
    .option('--json', 'print JSON: {"features": [{"name", "psi", "ks", "rows"}...], "prediction": {"psi"}, "window": {...}}')
    .action((model, flags) => runMonitor(model, flags))
}

/** `wharf monitor MODEL --env ENV [--version N] [--json]`. */
async function runMonitor(model: string, flags: { env: string; version?: string } & OutputOptions): Promise<void> {
  const { MonitorClient, formatDrift } = await import('../monitor/index.js')
  const report = await new MonitorClient(deployConnection()).drift(flags.env, model, flags.version)
  emit(flags, report, () => formatDrift(report, formatTable))
}
