import { invalidParameter } from '../errors.js'

/**
 * How a wharf.yaml variable or secret is named where a name with a dot cannot go. Azure Pipelines
 * keeps `databricks.token` as it is (`$(databricks.token)`) and turns it into the environment
 * variable DATABRICKS_TOKEN (upper case, '.' → '_'); GitHub Actions names are letters, digits and
 * '_' only, compared without case, so `databricks.token` is the GitHub secret DATABRICKS_TOKEN (the
 * name the seed's own GitHub workflow uses). One rule for both, here.
 */
export function ciNameOf(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')
}

const shellName = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * The environment variable steps read a variable or secret from: its own name when it is one a
 * shell can read (`model_name`, `WHARF_DEMO_TOKEN`), else Azure's form (`databricks.token` →
 * `DATABRICKS_TOKEN`).
 */
export function environmentNameOf(name: string): string {
  return shellName.test(name) ? name : ciNameOf(name)
}

/** Every variable and secret under its environment name. */
export function environmentOf(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [environmentNameOf(k), v]))
}

/**
 * Refuses two declared names that CI would merge (`databricks.token` and `DATABRICKS_TOKEN`, or
 * `alpha` and `ALPHA`: GitHub compares names without case), naming both.
 */
export function checkDistinctNames(file: string, declared: readonly { readonly kind: 'variables' | 'secrets'; readonly name: string }[]): void {
  const seen = new Map<string, string>()
  for (const { kind, name } of declared) {
    const key = ciNameOf(name)
    const other = seen.get(key)
    if (other !== undefined) throw invalidParameter(`${file}: ${kind}.${name}: '${name}' and '${other}' are the same name in CI (${key}); rename one`)
    seen.set(key, name)
  }
}
