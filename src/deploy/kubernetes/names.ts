import { createHash } from 'node:crypto'

/** Annotation naming the endpoint (environment/model) an object belongs to; checked before any update or delete. */
export const ownerAnnotation = 'wharf.io/endpoint'
export const fieldManager = 'wharf'

/**
 * The names of one endpoint's objects. The base is `wharf-<slug>-<hash>`: the slug keeps it readable,
 * the hash of the environment and the exact model name keeps `Diab Model` and `diab-model` apart, and
 * two environments sharing a namespace. At most 45 characters, so
 * `-router` and `-v<version>` suffixes stay within the 63 of a DNS label (Service names).
 */
export class EndpointNames {
  readonly base: string
  readonly owner: string

  constructor(
    readonly environment: string,
    readonly modelName: string,
  ) {
    const slug = modelName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 30)
      .replace(/-+$/, '')
    const hash = createHash('sha256').update(`${environment}\u0000${modelName}`).digest('hex').slice(0, 8)
    this.base = `wharf-${slug || 'model'}-${hash}`
    this.owner = `${environment}/${modelName}`
  }

  /** Deployment and Service of one version. */
  version(version: string): string {
    return `${this.base}-v${version}`
  }

  get router(): string {
    return `${this.base}-router`
  }

  get keysSecret(): string {
    return `${this.base}-keys`
  }

  get configSecret(): string {
    return `${this.base}-config`
  }

  get pullSecret(): string {
    return `${this.base}-pull`
  }

  /** Labels every object of the endpoint carries (selectors use `instance` and `component`). */
  labels(component: 'serve' | 'router' | 'endpoint'): Record<string, string> {
    return {
      'app.kubernetes.io/name': 'wharf',
      'app.kubernetes.io/instance': this.base,
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/managed-by': 'wharf',
    }
  }

  get selector(): string {
    return `app.kubernetes.io/instance=${this.base}`
  }
}
