import type { Command } from 'commander'
import { loadConfig } from '../config.js'

/** `wharf server`: the tracking server, artifact proxy, registry, deployments and pipelines. */
export function register(program: Command): void {
  program
    .command('server')
    .description(
      'Start the tracking server (MLflow REST API, artifact proxy) on embedded SQLite and local files by default. ' +
        'To scale out, run several replicas on one PostgreSQL database and one S3 or Azure Blob store, each with WHARF_REPLICA_URL ' +
        'set to where the others reach it: any replica answers deployment requests (docs/scale-out.md).',
    )
    .option('--host <host>', 'address to bind (default 127.0.0.1; WHARF_HOST)')
    .option('--port <port>', 'port (default 5000; WHARF_PORT)')
    .option(
      '--backend-store-uri <uri>',
      'sqlite:///relative.db, sqlite:////absolute.db (default sqlite:///wharf-data/wharf.db) or postgresql://user:pass@host:port/db; ' +
        'several replicas may share one PostgreSQL database (docs/scale-out.md). Prefer WHARF_BACKEND_STORE_URI: a flag is visible in ps',
    )
    .option(
      '--artifacts-destination <path>',
      'folder for artifacts (default wharf-data/artifacts), s3://bucket/path (MLFLOW_S3_ENDPOINT_URL for S3-compatible servers) ' +
        'or wasbs://container@account.blob.core.windows.net/path (AZURE_STORAGE_CONNECTION_STRING)',
    )
    .option(
      '--auth-token <token>',
      'require Authorization: Bearer <token>; health routes stay open. A flag is visible to other users in ps: prefer setting WHARF_AUTH_TOKEN',
    )
    .option('--allowed-hosts <list>', 'extra Host names accepted, comma-separated (WHARF_ALLOWED_HOSTS)')
    .option('--cors-allowed-origins <list>', 'extra browser origins allowed to write (WHARF_CORS_ALLOWED_ORIGINS)')
    .option('--durability <mode>', "'full' (fsync every commit, default) or 'normal'")
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)')
    .option(
      '--pipelines <files>',
      'wharf.yaml files, comma-separated, whose pipelines webhooks may start and runs may be recorded for, besides WHARF_PROJECT_FILE (WHARF_PIPELINES)',
    )
    .action(async (flags) => {
      const { runServer } = await import('../server/start-server.js')
      await runServer(loadConfig(flags))
    })
}
