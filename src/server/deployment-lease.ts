import { hostname } from 'node:os'
import type { Logger } from '../logger.js'
import type { LeaseStore } from '../store/lease-store.js'
import type { StartedControlPlane } from './start-control-plane.js'

const leaseName = 'deployment-supervisor'

/** What a replica knows of the deployment lease: enough to send a request to the replica that supervises. */
export interface DeploymentLeaseView {
  /** This replica's holder string: host, pid and the URL other replicas reach it at. */
  readonly self: string
  /** Whether this replica supervises deployments now. */
  isHolder(): boolean
  /** The holder of the live lease, read from the database; undefined while none does (a takeover). */
  holder(): Promise<string | undefined>
}

export interface LeasedSupervision extends DeploymentLeaseView {
  stop(): Promise<void>
}

/** The holder string a replica writes: `host:pid url`. */
const holderOf = (replicaUri: string) => `${hostname()}:${process.pid} ${replicaUri}`

/** The URL in a holder string, where requests for the holder go. */
export const replicaUriOf = (holder: string): string => holder.slice(holder.lastIndexOf(' ') + 1)

/**
 * With several replicas on one database, one supervises deployments (adopts and restarts serving
 * processes, routes their traffic): the holder of a lease it renews every third of its length.
 * Another replica takes over within one lease length after the holder dies; one that cannot renew
 * in time stops supervising before its lease can pass to another, so two never supervise at once.
 * The other replicas send local deployment requests to the holder (deployment-forwarding.ts), at
 * `replicaUri`; `selfUri` is where this replica's serving processes reach it.
 */
export function superviseWithLease(
  leases: LeaseStore,
  controlPlane: StartedControlPlane,
  uris: { readonly selfUri: string; readonly replicaUri: string },
  logger: Logger,
  ttlMs = 10_000,
): LeasedSupervision {
  const { selfUri } = uris
  const holder = holderOf(uris.replicaUri)
  let running = false
  let renewedAt = 0
  let busy: Promise<void> = Promise.resolve()

  const tick = async () => {
    let held = false
    try {
      held = await leases.tryAcquire(leaseName, holder, ttlMs)
      if (held) renewedAt = Date.now()
    } catch (err) {
      logger.warn({ err }, 'could not renew the deployment lease')
      // Still ours until it could have expired; a third of the lease is kept as margin for the clocks.
      held = running && Date.now() - renewedAt < (ttlMs * 2) / 3
    }
    if (held && !running) {
      running = true
      await controlPlane.start(selfUri)
      logger.info({ holder }, 'took the deployment lease: this replica supervises deployments')
    } else if (!held && running) {
      running = false
      await controlPlane.close()
      logger.warn({ holder }, 'lost the deployment lease: another replica supervises deployments')
    }
  }

  const step = () => {
    busy = busy.then(tick).catch((err: unknown) => logger.error({ err }, 'deployment lease'))
  }
  step()
  const timer = setInterval(step, Math.max(100, Math.floor(ttlMs / 3)))
  timer.unref()
  return {
    self: holder,
    isHolder: () => running,
    holder: () => leases.holder(leaseName),
    stop: async () => {
      clearInterval(timer)
      await busy
      if (running) {
        running = false
        await controlPlane.close()
      }
      await leases.release(leaseName, holder).catch(() => {})
    },
  }
}
