import { createHash, createHmac, randomBytes } from 'node:crypto'
import { MlflowError } from '../errors.js'
import type { DeploymentStore } from '../store/deployment-store.js'
import { type EndpointKeyRecord, type KeySlot, keySlots } from './entities.js'

export interface RevealedKeys {
  readonly primary: string
  readonly secondary: string
  readonly primaryCreated: number
  readonly secondaryCreated: number
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * Endpoint keys as Azure ML has them: a primary and a secondary, both accepted (`Authorization:
 * Bearer KEY`), each regenerated on its own so clients move from one to the other without downtime.
 * A key is derived from the server's key secret and a random salt (HMAC-SHA256); the store keeps the
 * salt and the key's sha256 only, so a copy of the database reveals no key, while the server can show
 * the keys again to an authenticated client (as `az ml online-endpoint get-credentials` does).
 * Serving processes and pods get the sha256 digests only.
 */
export class EndpointKeys {
  readonly #secret: Buffer
  readonly #store: DeploymentStore

  constructor(secret: Buffer, store: DeploymentStore) {
    if (secret.length < 16) throw new Error('the endpoint key secret must have at least 16 bytes')
    this.#secret = secret
    this.#store = store
  }

  #derive(environment: string, modelName: string, slot: KeySlot, salt: string): string {
    return createHmac('sha256', this.#secret).update(`wharf-endpoint-key\u0000${environment}\u0000${modelName}\u0000${slot}\u0000${salt}`).digest('base64url')
  }

  #record(environment: string, modelName: string, slot: KeySlot, now: number): EndpointKeyRecord {
    const salt = randomBytes(16).toString('hex')
    return { environment, modelName, slot, salt, digest: sha256(this.#derive(environment, modelName, slot, salt)), creationTime: now }
  }

  /** The digests the endpoint's servers accept, creating both keys on first use. */
  async ensure(environment: string, modelName: string, now: number): Promise<string[]> {
    const records = await this.#store.getEndpointKeys(environment, modelName)
    for (const slot of keySlots) {
      if (!records.some((r) => r.slot === slot)) {
        const record = this.#record(environment, modelName, slot, now)
        await this.#store.putEndpointKey(record)
        records.push(record)
      }
    }
    return keySlots.map((slot) => records.find((r) => r.slot === slot)!.digest)
  }

  async reveal(environment: string, modelName: string): Promise<RevealedKeys> {
    const records = await this.#store.getEndpointKeys(environment, modelName)
    const get = (slot: KeySlot) => {
      const r = records.find((x) => x.slot === slot)
      if (!r)
        throw new MlflowError(
          'RESOURCE_DOES_NOT_EXIST',
          `model '${modelName}' in environment '${environment}' has no endpoint keys (its environment has authMode: none, or it is not deployed)`,
        )
      const key = this.#derive(environment, modelName, slot, r.salt)
      // A changed key secret would hand out keys no server accepts: say so instead.
      if (sha256(key) !== r.digest)
        throw new MlflowError('INVALID_STATE', `the endpoint keys of '${modelName}' in '${environment}' were made with another key secret; regenerate them`)
      return { key, created: r.creationTime }
    }
    const primary = get('primary')
    const secondary = get('secondary')
    return { primary: primary.key, secondary: secondary.key, primaryCreated: primary.created, secondaryCreated: secondary.created }
  }

  /** A new key in `slot` (the other keeps working); returns the digests to hand to the servers. */
  async regenerate(environment: string, modelName: string, slot: KeySlot, now: number): Promise<string[]> {
    await this.ensure(environment, modelName, now)
    await this.#store.putEndpointKey(this.#record(environment, modelName, slot, now))
    return this.ensure(environment, modelName, now)
  }

  /**
   * The key the control plane reads the endpoint's pods' /metrics with (Kubernetes): derived from the
   * key secret, so every replica of the server has it without storing it anywhere; the pods get its
   * sha256 as the `metrics sha256:` line of the keys Secret, and it answers no prediction.
   */
  metricsKey(environment: string, modelName: string): string {
    return createHmac('sha256', this.#secret).update(`wharf-metrics-key\u0000${environment}\u0000${modelName}`).digest('base64url')
  }

  async forget(environment: string, modelName: string): Promise<void> {
    await this.#store.deleteEndpointKeys(environment, modelName)
  }
}

/**
 * The keys file serving processes read (`sha256:` digests, primary then secondary), and the digest
 * of the control plane's metrics-only key when it has one.
 */
export const keysFileText = (digests: readonly string[], metricsDigest?: string) =>
  `${[...digests.map((d) => `sha256:${d}`), ...(metricsDigest === undefined ? [] : [`metrics sha256:${metricsDigest}`])].join('\n')}\n`
