import { EXIT_MODEL_REFUSED, ModelFormatError } from '../models/model-error.js'
import type { Command } from 'commander'
import { loadConfig } from '../config.js'

/** `wharf serve`: one model over the MLflow, KServe and Azure ML scoring protocols (serving/). */
export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve a model over HTTP: MLflow scoring (/invocations), KServe V1/V2 (/v1, /v2; V2 over gRPC too with --grpc-port) and Azure ML (/score), with /metrics.',
    )
    .option('--model-uri <uri>', 'a model directory, runs:/RUN/PATH, models:/NAME/VERSION, models:/NAME/STAGE or models:/NAME@ALIAS (WHARF_MODEL_URI)')
    .option('--host <host>', 'address to bind (default 127.0.0.1; WHARF_HOST)')
    .option('--port <port>', 'port (default 8080; WHARF_SERVE_PORT)')
    .option('--grpc-port <port>', 'also serve KServe V2 over gRPC (inference.GRPCInferenceService) on this port, same host and keys (WHARF_SERVE_GRPC_PORT)')
    .option(
      '--python-env <dir>',
      'a venv with mlflow: models without an onnx flavor are served by mlflow.pyfunc in a Python worker there (WHARF_SERVE_PYTHON_ENV)',
    )
    .option(
      '--allow-pickle',
      'let that worker load models stored as pickles (sklearn, custom pyfunc); loading a pickle runs its code (WHARF_SERVE_ALLOW_PICKLE)',
    )
    .option('--workers <n>', 'worker processes sharing the port, e.g. one per core (default 1; WHARF_SERVE_WORKERS)')
    .option('--model-name <name>', 'name in KServe routes (default: the registered name or the folder name)')
    .option('--backend <backend>', 'auto (native evaluator for Wharf models, else ONNX Runtime), native or onnxruntime')
    .option('--max-body-bytes <n>', 'larger bodies get 413 (default 10485760; WHARF_SERVE_MAX_BODY_BYTES)')
    .option('--batch-max-rows <n>', 'ONNX models: micro-batch concurrent requests up to n rows (default 0, off)')
    .option('--batch-max-wait-us <us>', 'ONNX models: longest wait to fill a micro-batch, microseconds (default 500)')
    .option('--poll-interval-ms <ms>', 'with models:/NAME@ALIAS, poll the registry this often and hot-swap when the alias moves (default 2000)')
    .option(
      '--api-keys-file <file>',
      'one key per line (primary, secondary), re-read on change; also WHARF_SERVE_API_KEY / _SECONDARY. Sent as Authorization: Bearer KEY',
    )
    .option('--access-log-sample-rate <r>', 'share of requests logged as JSON lines, 0 to 1 (default 0; 5xx always)')
    .option('--model-cache-dir <dir>', 'where downloaded models are kept (default wharf-data/model-cache)')
    .addHelpText(
      'after',
      '\nModels come from MLFLOW_TRACKING_URI / WHARF_TRACKING_URI (bearer token: MLFLOW_TRACKING_TOKEN). Health routes (/ping, /health, /v2/health/*) need no key. SIGTERM drains in-flight requests.',
    )
    .action(async (flags: Record<string, string | undefined>) => {
      const { runServe } = await import('../serving/index.js')
      await refusalExits(async () =>
        runServe(
          loadConfig({
            modelUri: flags['modelUri'],
            host: flags['host'],
            servePort: flags['port'],
            serveGrpcPort: flags['grpcPort'],
            servePythonEnv: flags['pythonEnv'],
            serveAllowPickle: flags['allowPickle'] === undefined ? undefined : 'true',
            serveWorkers: flags['workers'],
            serveModelName: flags['modelName'],
            serveBackend: flags['backend'],
            serveMaxBodyBytes: flags['maxBodyBytes'],
            serveBatchMaxRows: flags['batchMaxRows'],
            serveBatchMaxWaitUs: flags['batchMaxWaitUs'],
            servePollIntervalMs: flags['pollIntervalMs'],
            serveApiKeysFile: flags['apiKeysFile'],
            serveAccessLogSampleRate: flags['accessLogSampleRate'],
            serveModelCacheDir: flags['modelCacheDir'],
          }),
        ),
      )
    })
}

/** A model the server refuses exits with EXIT_MODEL_REFUSED (bin/wharf.js exits with an error's `exitCode`). */
async function refusalExits(run: () => Promise<void>): Promise<void> {
  try {
    await run()
  } catch (err) {
    if (err instanceof ModelFormatError) Object.assign(err, { exitCode: EXIT_MODEL_REFUSED })
    throw err
  }
}
