import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { Logger } from '../logger.js'
import type { LeaseStore } from '../store/lease-store.js'
import type { StartedControlPlane } from './start-control-plane.js'

const leaseName = 'deployment-supervisor'

/** What a replica knows of the deployment lease: enough to send a request to the replica that supervises. */
export interface DeploymentLeaseView {
  /**
   * This replica's holder string: host, pid, the term of its supervision and the URL other
   * replicas reach it at. The term changes each time the replica takes the lease anew, so a request
   * forwarded to an earlier term (and maybe answered as timed out) is never applied in a later one.
   */
  readonly self: string
  /** Whether this replica supervises deployments now: it holds the lease and renewed it recently enough to be sure. */
  isHolder(): boolean
  /** The holder of the live lease, read from the database; undefined while none does (a takeover). */
  holder(): Promise<string | undefined>
}

export interface LeasedSupervision extends DeploymentLeaseView {
  stop(): Promise<void>
}

/** The holder string a replica writes: `host:pid:term url`. */
const holderOf = (replicaUri: string, term: string) => `${hostname()}:${process.pid}:${term} ${replicaUri}`
const newTerm = () => randomBytes(4).toString('hex')

/** The URL in a holder string, where requests for the holder go. */
export const replicaUriOf = (holder: string): string => holder.slice(holder.lastIndexOf(' ') + 1)

/**
 * With several replicas on one database, one supervises deployments (adopts and restarts serving
 * processes, routes their traffic): the holder of a lease it renews every third of its length.
 * Another replica takes over within one lease length after the holder dies; one that cannot renew
 * in time stops supervising before its lease can pass to another, so two never supervise at once.
 * A holder that was paused past that margin (SIGSTOP, a stalled VM) may have lost the lease without
 * seeing it go: it stops supervising before anything else, and takes the lease again only as a new
 * term. The other replicas send local deployment requests to the holder (deployment-forwarding.ts),
 * at `replicaUri`; `selfUri` is where this replica's serving processes reach it.
 */
export function superviseWithLease(
  leases: LeaseStore,
  controlPlane: StartedControlPlane,
  uris: { readonly selfUri: string; readonly replicaUri: string },
  logger: Logger,
  ttlMs = 10_000,
): LeasedSupervision {
  const { selfUri } = uris
  let holder = holderOf(uris.replicaUri, newTerm())
  let running = false
  // When the last renewal that succeeded was sent (monotonic: a paused process sees the pause).
  let renewedAt = Number.NEGATIVE_INFINITY
  let busy: Promise<void> = Promise.resolve()
  // Still ours until it could have expired; a third of the lease is kept as margin for the clocks.
  const isFresh = () => performance.now() - renewedAt < (ttlMs * 2) / 3

  const stepDown = async (why: string) => {
    running = false
    const ended = holder
    holder = holderOf(uris.replicaUri, newTerm())
    await controlPlane.close()
    logger.warn({ holder: ended }, why)
    // If the old term's lease still runs, let it go: the next holder (maybe this replica, as a new term) need not wait for it.
    await leases.release(leaseName, ended).catch(() => {})
  }

  const tick = async () => {
    if (running && !isFresh()) await stepDown('the deployment lease was not renewed in time (was this process paused?): stopped supervising deployments')
    let held = false
    const sentAt = performance.now()
    try {
      held = await leases.tryAcquire(leaseName, holder, ttlMs)
      if (held) renewedAt = sentAt
    } catch (err) {
      logger.warn({ err }, 'could not renew the deployment lease')
      held = running && isFresh()
    }
    if (held && !running) {
      running = true
      await controlPlane.start(selfUri)
      logger.info({ holder }, 'took the deployment lease: this replica supervises deployments')
    } else if (!held && running) {
      await stepDown('lost the deployment lease: another replica supervises deployments')
    }
  }

  const step = () => {
    busy = busy.then(tick).catch((err: unknown) => logger.error({ err }, 'deployment lease'))
  }
  step()
  const timer = setInterval(step, Math.max(100, Math.floor(ttlMs / 3)))
  timer.unref()
  return {
    get self() {
      return holder
    },
    isHolder: () => running && isFresh(),
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
