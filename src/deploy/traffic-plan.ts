import { invalidParameter, MlflowError } from '../errors.js'
import type { Traffic } from './entities.js'

/** Pure rules for how an endpoint's traffic changes; the control plane applies what they return. */

export function validPercent(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0 || value > 100) throw invalidParameter(`${name} must be a number from 0 to 100, got ${value}`)
  return value
}

/** The traffic after deploying `version`: all of it, a weight beside the live version, or a shadow. */
export function nextTraffic(
  before: Traffic,
  version: string,
  live: string | undefined,
  request: { readonly weight?: number | undefined; readonly shadowPercent?: number | undefined },
): Traffic {
  const keepShadow = before.shadow && before.shadow.version !== version ? before.shadow : undefined
  if (request.shadowPercent !== undefined) {
    if (!live) throw new MlflowError('INVALID_STATE', 'a shadow version needs a live version beside it; deploy one first')
    if (live === version || (before.weights[version] ?? 0) > 0)
      throw invalidParameter(`version ${version} already takes live traffic; a shadow must be another version`)
    return { weights: before.weights, shadow: { version, percent: validPercent(request.shadowPercent, 'shadow_percent') } }
  }
  if (request.weight !== undefined) {
    const weight = validPercent(request.weight, 'weight')
    if (!live || live === version) throw new MlflowError('INVALID_STATE', `a weighted deploy needs another live version beside version ${version}`)
    return { weights: { [live]: 100 - weight, [version]: weight }, shadow: keepShadow }
  }
  return { weights: { [version]: 100 }, shadow: keepShadow }
}

/** Weights for running versions only, each 0..100, adding up to 100. */
export function validWeights(weights: Readonly<Record<string, number>>, running: ReadonlySet<string>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [version, weight] of Object.entries(weights)) {
    if (!running.has(version))
      throw invalidParameter(`version ${version} is not running in this environment; deploy it first (running: ${[...running].join(', ') || 'none'})`)
    out[version] = validPercent(weight, `weights.${version}`)
  }
  const total = Object.values(out).reduce((a, b) => a + b, 0)
  if (Math.abs(total - 100) > 1e-9) throw invalidParameter(`weights must add up to 100, got ${total}`)
  return out
}
