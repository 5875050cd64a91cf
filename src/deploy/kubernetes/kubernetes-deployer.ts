import type { AgreementReport } from '../agreement.js'
import type { Endpoint, Traffic } from '../entities.js'
import type { EndpointStatus } from '../endpoint-status.js'
import type { Environment } from '../environments.js'
import type { MetricsSource } from '../metrics-source.js'
import type { Manifest } from './manifests.js'

export interface KubernetesRollRequest {
  readonly env: Environment
  readonly modelName: string
  /** Traffic before and after; the versions in `after` run when the call returns. */
  readonly before: Traffic
  readonly after: Traffic
  /** The version whose Deployment is (re)applied: the one being deployed. */
  readonly version?: string | undefined
  /** sha256 digests of the endpoint keys (authMode key). */
  readonly keyDigests: readonly string[]
  /** sha256 of the control plane's metrics-only key for the pods' /metrics (authMode key). */
  readonly metricsDigest?: string | undefined
}

/**
 * The kubernetes target as the control plane sees it. The control plane decides traffic (the same
 * rules as the local targets) and records changes; the target makes the cluster match and says how
 * it went: a failed rollout is undone before the call fails, with the cluster's reason.
 */
export interface KubernetesDeployer {
  roll(request: KubernetesRollRequest): Promise<{ applied: string[] }>
  /** Versions whose Deployments exist for the endpoint. */
  runningVersions(env: Environment, modelName: string): Promise<string[]>
  undeploy(request: { env: Environment; modelName: string }): Promise<void>
  /** Updates the keys Secret the pods read (after a key was regenerated). */
  applyKeys(env: Environment, modelName: string, keyDigests: readonly string[], metricsDigest?: string): Promise<void>
  /**
   * The endpoint's serving pods' /metrics, read through the API server's pod proxy with
   * `metricsKey`; `roles` maps each version to its role (live, canary, shadow, standby).
   */
  metricsSources(env: Environment, modelName: string, roles: ReadonlyMap<string, string>, metricsKey: string): Promise<MetricsSource[]>
  describe(env: Environment, endpoint: Endpoint, base: EndpointStatus): Promise<EndpointStatus>
  /** Agreement of each live/shadow pair: since deployed, or over the requests since `sinceMs` (Unix ms). */
  agreement(env: Environment, modelName: string, sinceMs?: number): Promise<AgreementReport[]>
  /** Takes what the endpoint's routers logged since the last call (shadow comparisons, sampled predictions). */
  harvest(env: Environment, modelName: string): Promise<void>
  /** Closes the shadow logs it writes. */
  close(): Promise<void>
  /** What a deploy of `version` with all traffic would apply (`--dry-run`). */
  render(env: Environment, modelName: string, version: string): Manifest[]
}
