/** Deployments: environments, targets, the traffic router, and the control plane in `wharf server`. */
export { ControlPlane, type ControlPlaneOptions, type DeployRequest, type TrafficRequest } from './control-plane.js'
export type { DeployChange, Endpoint, Instance, Traffic } from './entities.js'
export type { EndpointStatus, InstanceStatus } from './endpoint-status.js'
export { loadEnvironments, parseEnvironments, type Environment } from './environments.js'
export { LocalRunner } from './local-runner.js'
export type { Runner } from './runner.js'
export { DeployClient, formatChange, formatEndpoints, type DeployClientOptions, type Json } from './deploy-client.js'
