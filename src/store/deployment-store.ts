import type { DeployChange, Endpoint, Instance, Traffic } from '../deploy/entities.js'

/**
 * Desired state of deployments, kept so the control plane finds its endpoints again after a
 * restart. Few primitives; the control plane composes them.
 */
export interface DeploymentStore {
  listEndpoints(environment?: string): Promise<Endpoint[]>
  getEndpoint(environment: string, modelName: string): Promise<Endpoint | undefined>
  /** Creates the endpoint or updates its traffic and router port. */
  putEndpoint(endpoint: Omit<Endpoint, 'creationTime' | 'lastUpdateTime'>, time: number): Promise<Endpoint>
  setTraffic(environment: string, modelName: string, traffic: Traffic, time: number): Promise<void>
  /** Removes the endpoint and its instances. */
  deleteEndpoint(environment: string, modelName: string): Promise<void>
  listInstances(environment?: string, modelName?: string): Promise<Instance[]>
  putInstance(instance: Instance): Promise<void>
  deleteInstance(instanceId: string): Promise<void>
  recordChange(change: Omit<DeployChange, 'changeId'>): Promise<DeployChange>
  /** Oldest first. */
  listChanges(query: { environment?: string | undefined; modelName?: string | undefined; limit?: number | undefined }): Promise<DeployChange[]>
  close(): Promise<void>
}
