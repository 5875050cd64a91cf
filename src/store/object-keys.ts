import { invalidParameter } from '../errors.js'
import { safeArtifactPath } from './artifact-path.js'

/**
 * Object names under one prefix of a bucket or container, for the object artifact stores (s3/,
 * azure/). Every path passes `safeArtifactPath` again here (defence in depth): no `..`, no
 * absolute path, no empty segment, so a key never leaves the prefix.
 */
export class ObjectKeys {
  /** The prefix without slashes at either end; '' for the whole bucket. */
  readonly prefix: string

  constructor(prefix: string) {
    this.prefix = prefix.replace(/^\/+|\/+$/g, '')
  }

  /** The object name of the file at `rel` ('' is refused: the root is not a file). */
  file(rel: string): string {
    const safe = safeArtifactPath(rel)
    if (safe === '') throw invalidParameter('An artifact path is needed')
    return this.prefix === '' ? safe : `${this.prefix}/${safe}`
  }

  /** The name prefix of everything inside the folder at `rel`, ending in '/' (or '' for a bucket root). */
  folder(rel: string): string {
    const safe = safeArtifactPath(rel)
    const base = this.prefix === '' ? safe : safe === '' ? this.prefix : `${this.prefix}/${safe}`
    return base === '' ? '' : `${base}/`
  }
}

/** Listing entries sorted by name, as every ArtifactStore returns them. */
export const byName = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
