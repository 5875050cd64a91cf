import type { TargetKind } from './environments.js'

/** Where traffic of one endpoint goes: weights per version (summing to 100) and an optional shadow. */
export interface Traffic {
  readonly weights: Readonly<Record<string, number>>
  readonly shadow?: { readonly version: string; readonly percent: number } | undefined
}

/** One model served in one environment, behind one router (local, container) or one Service (kubernetes). */
export interface Endpoint {
  readonly environment: string
  readonly modelName: string
  readonly target: TargetKind
  readonly routerPort?: number | undefined
  readonly traffic: Traffic
  readonly creationTime: number
  readonly lastUpdateTime: number
}

/** A running version of an endpoint: a supervised process or container. */
export interface Instance {
  readonly instanceId: string
  readonly environment: string
  readonly modelName: string
  readonly version: string
  readonly modelUri: string
  readonly port: number
  readonly pid?: number | undefined
  readonly containerName?: string | undefined
  readonly image?: string | undefined
  readonly startTime: number
}

const deployActions = ['deploy', 'promote', 'rollback', 'traffic', 'undeploy'] as const
export type DeployAction = (typeof deployActions)[number]

/** One recorded change: who, when, what, from which live version to which. */
export interface DeployChange {
  readonly changeId: number
  readonly time: number
  readonly actor: string
  readonly action: DeployAction
  readonly environment: string
  readonly modelName: string
  readonly fromVersion?: string | undefined
  readonly toVersion?: string | undefined
  readonly data: Readonly<Record<string, unknown>>
}

/** The version with the largest weight (ties: the higher version number), or undefined. */
export function liveVersionOf(traffic: Traffic): string | undefined {
  let best: [string, number] | undefined
  for (const [version, weight] of Object.entries(traffic.weights)) {
    if (weight <= 0) continue
    if (!best || weight > best[1] || (weight === best[1] && Number(version) > Number(best[0]))) best = [version, weight]
  }
  return best?.[0]
}
