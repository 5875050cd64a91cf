import { MlflowError } from '../../errors.js'
import { type KubernetesApi, type LiveObject, type ObjectRef, refOf } from './kube-api.js'
import type { Manifest } from './manifests.js'
import { type EndpointNames, ownerAnnotation } from './names.js'

const describeRef = (ref: ObjectRef) => `${ref.kind} ${ref.namespace}/${ref.name}`

/**
 * One endpoint's objects, changed only when they are Wharf's and this endpoint's: an object of the
 * same name without the owner annotation (made by someone else), or annotated for another endpoint,
 * is left alone and the change fails, naming it.
 */
export class OwnedObjects {
  constructor(
    readonly api: KubernetesApi,
    readonly names: EndpointNames,
  ) {}

  /** The live object when it is ours; undefined when there is none; throws when it is someone else's. */
  async read(ref: ObjectRef): Promise<LiveObject | undefined> {
    const live = await this.api.read(ref)
    if (live === undefined) return undefined
    const owner = live.metadata.annotations?.[ownerAnnotation]
    if (owner !== this.names.owner) {
      throw new MlflowError(
        'INVALID_STATE',
        `${describeRef(ref)} exists and is not Wharf's object for ${this.names.owner} (annotation ${ownerAnnotation}: ${owner === undefined ? 'missing' : `'${owner}'`}); Wharf leaves it alone`,
      )
    }
    return live
  }

  async apply(manifest: Manifest): Promise<LiveObject> {
    await this.read(refOf(manifest))
    return this.api.apply(manifest)
  }

  /** Deletes the object if it exists and is ours. */
  async delete(ref: ObjectRef): Promise<void> {
    if (await this.read(ref)) await this.api.delete(ref)
  }

  /** This endpoint's objects of a kind (by label, then checked by annotation). */
  async list(apiVersion: string, kind: string, namespace: string, component?: 'serve' | 'router' | 'endpoint'): Promise<LiveObject[]> {
    const selector = this.names.selector + (component ? `,app.kubernetes.io/component=${component}` : '')
    const found = await this.api.list(apiVersion, kind, namespace, selector)
    return found.filter((o) => o.metadata.annotations?.[ownerAnnotation] === this.names.owner)
  }
}
