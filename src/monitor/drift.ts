/**
 * Drift statistics between a training profile's histogram and live values (issue #18).
 * Pure functions: the window and the profile come from drift-window.ts.
 */

/** Proportions below this count as this, so an empty bin on either side gives a large but finite term. */
const floor = 1e-4

/**
 * Population stability index, Σ (a − e) · ln(a / e) over bins of proportions. Rules of thumb:
 * below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a significant one.
 */
export function psi(expectedCounts: readonly number[], actualCounts: readonly number[]): number {
  const e = sum(expectedCounts)
  const a = sum(actualCounts)
  if (e === 0 || a === 0) return Number.NaN
  let total = 0
  for (let i = 0; i < expectedCounts.length; i++) {
    const pe = Math.max(expectedCounts[i]! / e, floor)
    const pa = Math.max((actualCounts[i] ?? 0) / a, floor)
    total += (pa - pe) * Math.log(pa / pe)
  }
  return total
}

/**
 * Counts of `values` in the bins of `edges` (ascending; the last bin includes its upper edge, as the
 * profile's histogram does). Values outside the training range count in the end bins: a shift past
 * the range shows as those bins growing. NaN (missing) values are not counted.
 */
export function binCounts(edges: readonly number[], values: Iterable<number>): number[] {
  const bins = edges.length - 1
  const counts = new Array<number>(bins).fill(0)
  for (const v of values) {
    if (Number.isNaN(v)) continue
    let b = 0
    while (b < bins - 1 && v >= edges[b + 1]!) b++
    counts[b]!++
  }
  return counts
}

/**
 * Kolmogorov–Smirnov distance, the largest gap between the training and the live cumulative
 * distributions, taken at the histogram's edges (the profile keeps no raw training values): the
 * share below each inner edge, and the shares below the training minimum and above its maximum.
 * A lower bound of the exact statistic; with ties (a 0/1 feature) it stays exact where the exact
 * CDF of an interpolated histogram would not.
 */
export function ksDistance(edges: readonly number[], trainingCounts: readonly number[], values: readonly number[]): number {
  const present = values.filter((v) => !Number.isNaN(v))
  const n = present.length
  const total = sum(trainingCounts)
  if (n === 0 || total === 0) return Number.NaN
  const shareBelow = (x: number) => present.reduce((c, v) => c + (v < x ? 1 : 0), 0) / n
  const min = edges[0]!
  const max = edges.at(-1)!
  let distance = Math.max(shareBelow(min), present.reduce((c, v) => c + (v > max ? 1 : 0), 0) / n)
  let below = 0
  for (let i = 1; i < edges.length - 1; i++) {
    below += trainingCounts[i - 1]!
    distance = Math.max(distance, Math.abs(below / total - shareBelow(edges[i]!)))
  }
  return distance
}

/** Ten edges at the deciles of `values` (for a reference without a training histogram: the predictions). */
export function decileEdges(values: readonly number[]): number[] | undefined {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return undefined
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
  const inner = [...new Set(Array.from({ length: 9 }, (_, i) => at((i + 1) / 10)))].filter((e) => e > sorted[0]! && e < sorted.at(-1)!)
  return [Number.NEGATIVE_INFINITY, ...inner, Number.POSITIVE_INFINITY]
}

function sum(values: readonly number[]): number {
  let s = 0
  for (const v of values) s += v
  return s
}
