import { invalidParameter } from '../errors.js'
import { type RegistryEventType, registryEventTypes } from './entities.js'

const entities = new Set(registryEventTypes.map((t) => t.split('.')[0]))

/** Webhook event filters: exact types (`alias.set`), a whole entity (`model_version.*`), or `*`. */
export function validateEventFilter(patterns: readonly string[]): void {
  if (patterns.length === 0) throw invalidParameter("'events' must name at least one event type, e.g. ['model_version.created'] or ['*'].")
  for (const p of patterns) {
    const isKnown = p === '*' || (registryEventTypes as readonly string[]).includes(p) || (p.endsWith('.*') && entities.has(p.slice(0, -2)))
    if (!isKnown) throw invalidParameter(`Unknown webhook event '${p.slice(0, 80)}'. Use one of ${registryEventTypes.join(', ')}, '<entity>.*' or '*'.`)
  }
}

export function matchesEventFilter(patterns: readonly string[], type: RegistryEventType): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))))
}
