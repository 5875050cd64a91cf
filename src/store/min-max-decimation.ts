/** One bucket of a thinned series: its extremes and the steps it spans. */
export interface Bucket {
  readonly firstStep: number
  readonly lastStep: number
  readonly min: number
  readonly max: number
  readonly minStep: number
  readonly maxStep: number
}

/** How many buckets of two points fit in `maxPoints`. */
export const bucketCount = (maxPoints: number) => Math.max(1, Math.floor(maxPoints / 2))

/** The bucket of `step` when [lo, hi] is cut into `buckets` equal step ranges. */
export const bucketOf = (step: number, lo: number, hi: number, buckets: number) => Math.floor(((step - lo) * buckets) / (hi - lo + 1))

/**
 * Min/max decimation of points sorted by step: each bucket keeps its lowest and highest value at
 * the steps where they occur, in step order. Charts draw a bucket as one vertical stroke, so no
 * spike or dip is lost however far the history is zoomed out.
 */
export function decimateMinMax(steps: ArrayLike<number>, values: ArrayLike<number>, maxPoints: number): { steps: number[]; values: number[] } {
  const n = steps.length
  if (n <= maxPoints) return { steps: Array.from(steps), values: Array.from(values) }
  const lo = steps[0]!
  const hi = steps[n - 1]!
  const buckets = bucketCount(maxPoints)
  const out: Bucket[] = []
  let current: { b: number; first: number; last: number; min: number; max: number; minStep: number; maxStep: number } | undefined
  for (let i = 0; i < n; i++) {
    const step = steps[i]!
    const value = values[i]!
    const b = bucketOf(step, lo, hi, buckets)
    if (current === undefined || current.b !== b) {
      if (current)
        out.push({ firstStep: current.first, lastStep: current.last, min: current.min, max: current.max, minStep: current.minStep, maxStep: current.maxStep })
      current = { b, first: step, last: step, min: value, max: value, minStep: step, maxStep: step }
      continue
    }
    current.last = step
    if (value < current.min) {
      current.min = value
      current.minStep = step
    }
    if (value > current.max) {
      current.max = value
      current.maxStep = step
    }
  }
  if (current)
    out.push({ firstStep: current.first, lastStep: current.last, min: current.min, max: current.max, minStep: current.minStep, maxStep: current.maxStep })
  return flattenBuckets(out)
}

/** Two points per bucket (one when its extremes are the same point), in step order. */
export function flattenBuckets(buckets: readonly Bucket[]): { steps: number[]; values: number[] } {
  const steps: number[] = []
  const values: number[] = []
  for (const b of buckets) {
    if (b.minStep === b.maxStep && b.min === b.max) {
      steps.push(b.minStep)
      values.push(b.min)
    } else if (b.minStep <= b.maxStep) {
      steps.push(b.minStep, b.maxStep)
      values.push(b.min, b.max)
    } else {
      steps.push(b.maxStep, b.minStep)
      values.push(b.max, b.min)
    }
  }
  return { steps, values }
}
