import type { DeploymentStore } from '../../store/deployment-store.js'
import type { DeployAction, DeployChange } from '../entities.js'
import type { EndpointStatus } from '../endpoint-status.js'
import type { Environment } from '../environments.js'

export interface KubernetesDeployRequest {
  readonly env: Environment
  readonly modelName: string
  readonly version: string
  readonly actor: string
  readonly action: DeployAction
  readonly store: DeploymentStore
  readonly now: number
  readonly extra: Record<string, unknown>
}

/** The kubernetes target as the control plane sees it: roll an endpoint to a version, remove it, name its URL. */
export interface KubernetesDeployer {
  deploy(request: KubernetesDeployRequest): Promise<{ change: DeployChange; endpoint: EndpointStatus }>
  undeploy(request: { env: Environment; modelName: string }): Promise<void>
  urlOf(env: Environment, modelName: string): string | undefined
}
