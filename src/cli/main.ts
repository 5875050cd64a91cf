import { Command } from 'commander'
import { loadConfig } from '../config.js'
import { version } from '../version.js'

/** The `wharf` command. Each subcommand lives in its own file and is imported only when run. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('wharf')
    .description('Wharf: track experiments, register models, and serve them as low-latency REST endpoints.')
    .version(version)

  program
    .command('server')
    .description('Start the tracking server (MLflow REST API, artifact proxy) on embedded SQLite and local files by default.')
    .option('--host <host>', 'address to bind (default 127.0.0.1; WHARF_HOST)')
    .option('--port <port>', 'port (default 5000; WHARF_PORT)')
    .option('--backend-store-uri <uri>', 'sqlite:///relative.db or sqlite:////absolute.db (default sqlite:///wharf-data/wharf.db)')
    .option('--artifacts-destination <path>', 'folder for artifacts (default wharf-data/artifacts)')
    .option('--auth-token <token>', 'require Authorization: Bearer <token> (WHARF_AUTH_TOKEN); health routes stay open')
    .option('--allowed-hosts <list>', 'extra Host names accepted, comma-separated (WHARF_ALLOWED_HOSTS)')
    .option('--cors-allowed-origins <list>', 'extra browser origins allowed to write (WHARF_CORS_ALLOWED_ORIGINS)')
    .option('--durability <mode>', "'full' (fsync every commit, default) or 'normal'")
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)')
    .action(async (flags) => {
      const { runServer } = await import('./server.js')
      await runServer(loadConfig(flags))
    })

  program
    .command('train')
    .description('Train a built-in model on a CSV, log the run (params, metrics, model, data profile) to the tracking server, optionally register it.')
    .requiredOption('--data <file>', 'CSV file with a header row')
    .requiredOption('--target <column>', 'the column to predict')
    .requiredOption('--model <kind>', 'elasticnet|ridge|lasso|ols|logistic|gbdt')
    .option('--param <k=v>', 'a hyperparameter, repeatable (e.g. --param alpha=0.1)', (v: string, all: string[] = []) => [...all, v])
    .option('--test-size <fraction>', 'held-out share of rows, in (0, 1) (default 0.2)')
    .option('--seed <n>', 'seed for the train/test split (default 42)')
    .option('--experiment <name>', "experiment to log to (default 'Default')")
    .option('--run-name <name>', 'name of the run')
    .option('--register <model>', 'register the logged model as a new version of this registered model')
    .option('--output <dir>', 'also write the model directory here (required without a tracking server)')
    .action(async (flags) => {
      const config = loadConfig()
      const { runTrain } = await import('./train.js')
      const result = await runTrain({ ...flags, trackingUri: config.trackingUri, token: config.trackingToken })
      process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    })

  const models = program.command('models').description('Browse the model registry and move aliases on a running server (WHARF_TRACKING_URI / MLFLOW_TRACKING_URI).')
  const connection = () => {
    const config = loadConfig()
    return { trackingUri: config.trackingUri, token: config.trackingToken }
  }
  models
    .command('list')
    .description('registered models with their latest versions and aliases')
    .option('--filter <filter>', "MLflow search filter, e.g. \"name LIKE 'fraud%'\"")
    .option('--json', 'print JSON')
    .action(async (flags) => (await import('./models.js')).listModels({ ...connection(), ...flags }))
  models
    .command('show <name>')
    .description('one registered model')
    .option('--json', 'print JSON')
    .action(async (name, flags) => (await import('./models.js')).showModel(name, { ...connection(), ...flags }))
  models
    .command('versions <name>')
    .description("a model's versions, newest first")
    .option('--json', 'print JSON')
    .action(async (name, flags) => (await import('./models.js')).listVersions(name, { ...connection(), ...flags }))
  models
    .command('alias <name> <alias> <version>')
    .description('point an alias (e.g. champion) at a version; moves it if it exists')
    .option('--json', 'print JSON')
    .action(async (name, alias, version, flags) => (await import('./models.js')).setAlias(name, alias, version, { ...connection(), ...flags }))
  models
    .command('events <name>')
    .description("the model's registry event log: versions, aliases, stages, tags, with time and actor")
    .option('--after <id>', 'only events after this event id')
    .option('--limit <n>', 'at most this many events (default 1000)')
    .option('--json', 'print JSON')
    .action(async (name, flags) => (await import('./models.js')).listEvents(name, { ...connection(), ...flags }))

  await program.parseAsync([...argv])
}
