import { isLoopback } from './host-guard.js'

export interface ServerAuthorityOptions {
  readonly bindHost: string
  /** --allowed-hosts: other names the server answers to ('*' is not a name and adds none). */
  readonly allowedHosts: readonly string[]
}

const loopbackNames = ['localhost', '127.0.0.1', '::1']
const isWildcard = (host: string) => host === '0.0.0.0' || host === '::'

/**
 * Which `mlflow-artifacts://HOST:PORT/...` authorities are this server. MLflow's client sends its
 * artifact requests, with its bearer token, to the authority such a URI names, so accepting any
 * other in a location or a model source would hand clients' tokens to whoever chose it (issue #12).
 * This server's own: its port, with the address it is bound to, the loopback names when it is
 * bound to loopback or to every address, or a name from --allowed-hosts.
 */
export class ServerAuthority {
  readonly #names: ReadonlySet<string>
  #port: number | undefined

  constructor(options: ServerAuthorityOptions) {
    const bind = options.bindHost.toLowerCase()
    const names = new Set(options.allowedHosts.filter((h) => h !== '*').map((h) => h.toLowerCase()))
    if (!isWildcard(bind)) names.add(bind)
    if (isWildcard(bind) || isLoopback(bind)) for (const name of loopbackNames) names.add(name)
    this.#names = names
  }

  /** Called once the server listens: until then no authority is its own. */
  listening(port: number): void {
    this.#port = port
  }

  isOwn(authority: string): boolean {
    const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(authority)
    if (!match || this.#port === undefined) return false
    const host = (match[1] ?? match[2]!).toLowerCase()
    // Without a port the client would use the scheme's default (80 for http).
    return this.#names.has(host) && Number(match[3] ?? 80) === this.#port
  }
}

/** The default where no server listens (in-process callers, tests): only authority-less URIs are accepted. */
export const noOwnAuthority = (_authority: string): boolean => false

/** The authority of an `mlflow-artifacts://AUTHORITY/...` URI; undefined for `mlflow-artifacts:/path` and `mlflow-artifacts:///path`. */
export function mlflowArtifactsAuthority(uri: string): string | undefined {
  const authority = /^mlflow-artifacts:\/\/([^/?#]*)/i.exec(uri)?.[1]
  return authority === undefined || authority === '' ? undefined : authority
}
