/**
 * What a command step inherits from the process that runs it, and nothing more (issue #12: steps
 * inherited the runner's WHARF_TRACKING_TOKEN and WHARF_PIPELINE_WEBHOOK_SECRET, and webhook runs
 * the server's whole environment). Enough to find programs, a home and a locale; everything else a
 * step needs is declared in wharf.yaml as a variable or a secret. The runner adds the pipeline's
 * variables and secrets, the run's identity and the server's address and token (runner.ts).
 */
export const inheritedVariables = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const

/** The variables that are set, from a lookup that may leave some out. */
export function definedOnly(values: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''))
}

/** The environment variables a pipeline's secrets are read from (`secrets: {NAME: {env: VAR}}`). */
export function secretVariables(secrets: Readonly<Record<string, { env: string } | { file: string }>>): string[] {
  return Object.values(secrets).flatMap((s) => ('env' in s ? [s.env] : []))
}
