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

  await program.parseAsync([...argv])
}
