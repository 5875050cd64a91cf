import { safeArtifactPath } from './artifact-path.js'

/**
 * The store-relative path behind an artifact URI this server proxies: `mlflow-artifacts:/3/abc/artifacts`
 * and `mlflow-artifacts://host:5000/3/abc/artifacts` both map to `3/abc/artifacts`. URIs of stores the
 * client writes to itself (s3:, gs:, ...) have none: undefined.
 */
export function artifactUriToStorePath(uri: string): string | undefined {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/.exec(uri)
  if (!match) return undefined
  return safeArtifactPath((match[1] ?? '').replace(/^\/+/, ''))
}
