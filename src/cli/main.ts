import { Command } from 'commander'
import { loadConfig } from '../config.js'
import { version } from '../version.js'

/** The `wharf` command. Each subcommand lives in its own file and is imported only when run. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('wharf')
    .description('Wharf: track experiments, register models, and serve them as low-latency REST endpoints.')
    .version(version)
    // Root options only before the subcommand, so `wharf deploy M --version 3` means the model version.
    .enablePositionalOptions()

  program
    .command('server')
    .description('Start the tracking server (MLflow REST API, artifact proxy) on embedded SQLite and local files by default.')
    .option('--host <host>', 'address to bind (default 127.0.0.1; WHARF_HOST)')
    .option('--port <port>', 'port (default 5000; WHARF_PORT)')
    .option('--backend-store-uri <uri>', 'sqlite:///relative.db or sqlite:////absolute.db (default sqlite:///wharf-data/wharf.db)')
    .option('--artifacts-destination <path>', 'folder for artifacts (default wharf-data/artifacts)')
    .option('--auth-token <token>', 'require Authorization: Bearer <token>; health routes stay open. A flag is visible to other users in ps: prefer setting WHARF_AUTH_TOKEN')
    .option('--allowed-hosts <list>', 'extra Host names accepted, comma-separated (WHARF_ALLOWED_HOSTS)')
    .option('--cors-allowed-origins <list>', 'extra browser origins allowed to write (WHARF_CORS_ALLOWED_ORIGINS)')
    .option('--durability <mode>', "'full' (fsync every commit, default) or 'normal'")
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)')
    .option('--pipelines <files>', 'wharf.yaml files, comma-separated, whose pipelines webhooks may start and runs may be recorded for, besides WHARF_PROJECT_FILE (WHARF_PIPELINES)')
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

  program
    .command('serve')
    .description('Serve a model over HTTP: MLflow scoring (/invocations), KServe V1/V2 (/v1, /v2) and Azure ML (/score), with /metrics.')
    .option('--model-uri <uri>', 'a model directory, runs:/RUN/PATH, models:/NAME/VERSION, models:/NAME/STAGE or models:/NAME@ALIAS (WHARF_MODEL_URI)')
    .option('--host <host>', 'address to bind (default 127.0.0.1; WHARF_HOST)')
    .option('--port <port>', 'port (default 8080; WHARF_SERVE_PORT)')
    .option('--workers <n>', 'worker processes sharing the port, e.g. one per core (default 1; WHARF_SERVE_WORKERS)')
    .option('--model-name <name>', 'name in KServe routes (default: the registered name or the folder name)')
    .option('--backend <backend>', 'auto (native evaluator for Wharf models, else ONNX Runtime), native or onnxruntime')
    .option('--max-body-bytes <n>', 'larger bodies get 413 (default 10485760; WHARF_SERVE_MAX_BODY_BYTES)')
    .option('--batch-max-rows <n>', 'ONNX models: micro-batch concurrent requests up to n rows (default 0, off)')
    .option('--batch-max-wait-us <us>', 'ONNX models: longest wait to fill a micro-batch, microseconds (default 500)')
    .option('--poll-interval-ms <ms>', 'with models:/NAME@ALIAS, poll the registry this often and hot-swap when the alias moves (default 2000)')
    .option('--api-keys-file <file>', 'one key per line (primary, secondary), re-read on change; also WHARF_SERVE_API_KEY / _SECONDARY. Sent as Authorization: Bearer KEY')
    .option('--access-log-sample-rate <r>', 'share of requests logged as JSON lines, 0 to 1 (default 0; 5xx always)')
    .option('--model-cache-dir <dir>', 'where downloaded models are kept (default wharf-data/model-cache)')
    .addHelpText('after', '\nModels come from MLFLOW_TRACKING_URI / WHARF_TRACKING_URI (bearer token: MLFLOW_TRACKING_TOKEN). Health routes (/ping, /health, /v2/health/*) need no key. SIGTERM drains in-flight requests.')
    .action(async (flags) => {
      const { runServe } = await import('./serve.js')
      const f = flags as Record<string, string | undefined>
      await runServe(loadConfig({
        modelUri: f['modelUri'], host: f['host'], servePort: f['port'], serveWorkers: f['workers'], serveModelName: f['modelName'], serveBackend: f['backend'],
        serveMaxBodyBytes: f['maxBodyBytes'], serveBatchMaxRows: f['batchMaxRows'], serveBatchMaxWaitUs: f['batchMaxWaitUs'], servePollIntervalMs: f['pollIntervalMs'],
        serveApiKeysFile: f['apiKeysFile'], serveAccessLogSampleRate: f['accessLogSampleRate'], serveModelCacheDir: f['modelCacheDir'],
      }))
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

  // Deployments: the CLI calls the server's deployment API (src/deploy/deploy-routes.ts).
  const deployConnection = () => {
    const config = loadConfig()
    return { trackingUri: config.trackingUri, token: config.trackingToken, user: config.user }
  }
  program
    .command('deploy <model>')
    .description('Deploy a registered version to an environment of wharf.yaml: all traffic, a --weight beside the live version, or a --shadow copy.')
    .option('--version <n>', 'the version to deploy')
    .option('--alias <alias>', 'deploy the version an alias points at (e.g. champion)')
    .requiredOption('--env <environment>', 'environment, e.g. staging')
    .option('--weight <percent>', 'blue/green: send this percent of requests to the new version, the rest to the live one')
    .option('--shadow <percent>', 'shadow: copy this percent of requests to the new version; its answers are compared, never returned')
    .option('--dry-run', 'kubernetes environments: print the manifests (Deployment, Service, autoscaler, disruption budget) instead of applying them')
    .option('--json', 'print JSON')
    .action(async (model, flags) => (await import('./deploy.js')).runDeploy(model, flags, deployConnection()))
  program
    .command('promote <model>')
    .description("Move the model's production alias to the version live in --from and roll --to to it (start new, wait ready, switch, drain old).")
    .requiredOption('--from <environment>', 'where the version is live, e.g. staging')
    .requiredOption('--to <environment>', 'where to roll it out, e.g. production')
    .option('--alias <alias>', 'alias to move (default production)')
    .option('--json', 'print JSON')
    .action(async (model, flags) => (await import('./promote.js')).runPromote(model, flags, deployConnection()))
  program
    .command('rollback <model>')
    .description('Go back to the version that was live before the current one in an environment.')
    .requiredOption('--env <environment>', 'environment, e.g. production')
    .option('--json', 'print JSON')
    .action(async (model, flags) => (await import('./rollback.js')).runRollback(model, flags, deployConnection()))
  program
    .command('traffic <model>')
    .description('Show or change how an environment splits traffic between running versions, and the shadow agreement report.')
    .requiredOption('--env <environment>', 'environment')
    .option('--weights <pairs>', 'new weights as VERSION=PERCENT pairs adding up to 100, e.g. 3=90,4=10')
    .option('--shadow <percent>', 'share of requests copied to the shadow version (0 removes the shadow)')
    .option('--json', 'print JSON')
    .action(async (model, flags) => (await import('./deploy.js')).runTraffic(model, flags, deployConnection()))
  program
    .command('deployments [environment]')
    .description('What runs where: live version, since when, health, traffic, endpoint URL; --history for every recorded change.')
    .option('--model <name>', 'only this model')
    .option('--history', 'the recorded changes: who, when, from which version to which')
    .option('--json', 'print JSON')
    .action(async (environment, flags) => (await import('./deployments.js')).runDeployments(environment, flags, deployConnection()))
  program
    .command('build-image')
    .description('Build an OCI image that runs `wharf serve` with the model inside (podman or docker); also writes its Containerfile.')
    .requiredOption('--model-uri <uri>', 'models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN/PATH or a local model directory')
    .requiredOption('--tag <name:tag>', 'image name, e.g. localhost/fraud:3')
    .option('--base <image>', 'base image with Node.js 20 (default: one built locally from this machine\'s node, no registry needed)')
    .option('--output <dir>', 'folder for the build context and Containerfile (default ./wharf-image-<name>)')
    .option('--runtime <podman|docker>', 'container runtime (default: whichever is installed; WHARF_CONTAINER_RUNTIME)')
    .option('--no-build', 'only write the build context and Containerfile')
    .action(async (flags) => {
      const config = loadConfig()
      const { runBuildImage } = await import('./build-image.js')
      await runBuildImage({ ...flags, runtime: flags.runtime ?? config.containerRuntime, trackingUri: config.trackingUri, token: config.trackingToken })
    })

  // Pipelines: wharf.yaml stages run by this process, recorded in the server (src/pipeline).
  const pipeline = program.command('pipeline').description('Run wharf.yaml pipelines (train → register → deploy → test → gate → promote), see their runs and logs, approve gates, export to CI.')
  const repeatable = (v: string, all: string[] = []) => [...all, v]
  pipeline
    .command('run [file]')
    .description('Run the pipeline with live progress; each stage and step, its timings, outputs and logs are stored in the server. Exits 1 if a stage fails.')
    .option('--stage <name>', 'run only this stage (repeatable); the others stay pending', repeatable)
    .option('--var <name=value>', 'override a variable of wharf.yaml (repeatable)', repeatable)
    .option('--run-key <key>', 'join the run with this key if there is one (CI jobs of one build pass the build id)')
    .option('--approvals <mode>', "'ask' (default): manual gates wait for `wharf pipeline approve`; 'ci': the CI environment approved already")
    .option('--trigger <json>', 'what started the run (set by the webhook receiver)')
    .action(async (file: string | undefined, flags) => {
      const config = loadConfig()
      const { runPipelineCommand } = await import('./pipeline.js')
      process.exitCode = await runPipelineCommand(file ?? config.projectFile, flags, config)
    })
  pipeline
    .command('resume <run> [file]')
    .description('Continue an interrupted or failed run from the step that did not finish; finished steps are never run again. FILE: this machine\'s copy of the wharf.yaml (default: the file the server has configured for the pipeline).')
    .action(async (runId: string, file: string | undefined) => {
      const config = loadConfig()
      const { runPipelineCommand } = await import('./pipeline.js')
      process.exitCode = await runPipelineCommand(file ?? '', {}, config, { resumeRunId: runId })
    })
  pipeline
    .command('runs')
    .description('Pipeline runs, newest first.')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--json', 'print JSON')
    .action(async (flags) => (await import('./pipeline.js')).listRuns(flags, loadConfig()))
  pipeline
    .command('logs <run>')
    .description("A run's stages and steps (status, timings, outputs) and its stored log lines.")
    .option('--follow', 'keep printing new lines until the run ends')
    .option('--json', 'print JSON')
    .action(async (runId: string, flags) => (await import('./pipeline.js')).showLogs(runId, flags, loadConfig()))
  for (const [verb, decision] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    pipeline
      .command(`${verb} <run>`)
      .description(`${verb === 'approve' ? 'Approve' : 'Reject'} the gate of a run that waits for a manual decision.`)
      .option('--step <name>', 'the gate step (default: the one waiting)')
      .option('--comment <text>', 'recorded with the decision')
      .action(async (runId: string, flags) => (await import('./pipeline.js')).decide(runId, decision, flags, loadConfig()))
  }
  pipeline
    .command('export [file]')
    .description('Write the same stages as a CI file whose jobs call `wharf`: Azure Pipelines or GitHub Actions, environments for approvals, secrets in the CI\'s syntax.')
    .requiredOption('--format <format>', 'azure-pipelines or github-actions')
    .option('--output <path>', 'write here instead of printing')
    .action(async (file: string | undefined, flags) => (await import('./pipeline.js')).exportCommand(file ?? loadConfig().projectFile, flags))

  await program.parseAsync([...argv])
}
