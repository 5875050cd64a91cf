import type { Command } from 'commander'
import { loadConfig } from '../config.js'
import { repeatable } from './output.js'

/** `wharf train`: the built-in trainers (train/run-train.ts), logged to the tracking server. */
export function register(program: Command): void {
  program
    .command('train')
    .description('Train a built-in model on a CSV, log the run (params, metrics, model, data profile) to the tracking server, optionally register it.')
    .requiredOption('--data <file>', 'CSV file with a header row')
    .requiredOption('--target <column>', 'the column to predict')
    .requiredOption('--model <kind>', 'elasticnet|ridge|lasso|ols|logistic|gbdt')
    .option('--param <k=v>', 'a hyperparameter, repeatable (e.g. --param alpha=0.1)', repeatable)
    .option('--test-size <fraction>', 'held-out share of rows, in (0, 1) (default 0.2)')
    .option('--seed <n>', 'seed for the train/test split (default 42)')
    .option('--experiment <name>', "experiment to log to (default 'Default')")
    .option('--run-name <name>', 'name of the run')
    .option('--register <model>', 'register the logged model as a new version of this registered model')
    .option('--output <dir>', 'also write the model directory here (required without a tracking server)')
    .action(async (flags) => {
      const config = loadConfig()
      const { runTrain } = await import('../train/index.js')
      const result = await runTrain({ ...flags, trackingUri: config.trackingUri, token: config.trackingToken })
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    })
}
