/**
 * Named leases with expiry, for work that one of several server replicas must do (supervising
 * deployments). Time is the database's clock, so replicas with skewed clocks still agree.
 */
export interface LeaseStore {
  /** Takes the lease, or renews it when `holder` has it; false while another holder's lease runs. */
  tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean>
  /** Lets the lease go if `holder` has it (a clean shutdown: another replica takes over at once). */
  release(name: string, holder: string): Promise<void>
  /** Who holds the lease now, if anyone. */
  holder(name: string): Promise<string | undefined>
}
