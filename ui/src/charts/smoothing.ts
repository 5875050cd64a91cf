/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled toward
 * zero). Gaps (null) stay gaps and do not reset the average.
 */
export function smoothEma(values: readonly (number | null)[], weight: number): (number | null)[] {
  let last = 0
  let count = 0
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v
    last = last * weight + (1 - weight) * v
    count++
    return last / (1 - weight ** count)
  })
}
