/**
 * Decimal digits to the nearest double, for the serving request reader (serving/split-json.ts) and
 * the CSV reader (train/csv.ts) — without making a string per number. Python's json and pandas write floats with up to 17 significant digits, too
 * many for the classic exact fast path, and V8's string conversion costs ~140 ns each: most of a
 * 1,000-row request.
 *
 * The mantissa is formed exactly as a double-double (an unevaluated sum of two doubles), scaled by
 * an exact power of ten with error-free products (~2^-104 relative error) and rounded. A value too near the midpoint between two doubles to be sure of the rounding
 * (about one in 2^27), a mantissa of 10^19 or more, or a power beyond 10^±22 is undecided, and the
 * caller asks V8. So the answer is always the one `Number(text)` gives.
 */

/** Exact powers of ten: every one up to 1e22 is a double. */
const exactPowers = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`))
const TWO_53 = 2 ** 53
/** Mantissas from here on are left to V8 (see toDouble). */
const MAX_MANTISSA = 1e19
/** 2^27 + 1: Dekker's split of a double into two 26-bit halves. */
const SPLITTER = 134217729
/**
 * The double-double value is within 2^-100 (relative) of the true one; rounding is settled when
 * moving it by this much either way does not change the result.
 */
const MARGIN = 2 ** -80

export const UNDECIDED = Number.NaN

// Error-free transformations (Dekker, Knuth). Module-level scratch instead of tuples: no allocation.
let errLow = 0

/** a·b = product + errLow exactly (no overflow in the range used here). */
function twoProduct(a: number, b: number): number {
  const product = a * b
  let t = SPLITTER * a
  const aHigh = t - (t - a)
  const aLow = a - aHigh
  t = SPLITTER * b
  const bHigh = t - (t - b)
  const bLow = b - bHigh
  errLow = aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow
  return product
}

/** a+b = sum + errLow exactly. */
function twoSum(a: number, b: number): number {
  const sum = a + b
  const bVirtual = sum - a
  errLow = a - (sum - bVirtual) + (b - bVirtual)
  return sum
}

/**
 * A decimal mantissa built digit group by digit group: high·10^lowCount + low. Digits go to `high`
 * while it stays below 2^53 (exact), then to `low`; the exact sum is formed once, in toDouble.
 */
export class DecimalMantissa {
  high = 0
  low = 0
  lowCount = 0

  reset(): void {
    this.high = 0
    this.low = 0
    this.lowCount = 0
  }

  /** mantissa = mantissa·10^count + group, for a group of `count` ≤ 8 digits. */
  append(group: number, count: number): void {
    const scale = exactPowers[count]!
    if (this.lowCount === 0) {
      // Below 2^53 the plain computation is exact, and a result that rounded is never below 2^53.
      const plain = this.high * scale + group
      if (plain < TWO_53) {
        this.high = plain
        return
      }
    }
    this.low = this.low * scale + group
    this.lowCount += count
  }

  /** The double nearest to mantissa·10^power, or UNDECIDED. */
  toDouble(power: number): number {
    if (power < -22 || power > 22) return UNDECIDED
    // A mantissa of at most 53 bits: one correctly rounded operation (Clinger's fast path).
    if (this.lowCount === 0) return power < 0 ? this.high / exactPowers[-power]! : this.high * exactPowers[power]!
    // `low` is exact up to 15 digits; the whole mantissa must stay below 10^19 (64 bits), where the
    // error terms below are integers under 2^12 and their sum is exact.
    if (this.lowCount > 15) return UNDECIDED
    const product = twoProduct(this.high, exactPowers[this.lowCount]!)
    const productErr = errLow
    const mh = twoSum(product, this.low)
    const ml = productErr + errLow
    if (!(mh < MAX_MANTISSA)) return UNDECIDED
    return scaleExact(mh, ml, power)
  }
}

/**
 * The double nearest to (mh + ml)·10^power, for an exact double-double mantissa mh + ml (|ml| far
 * below |mh|) and |power| <= 22; UNDECIDED when too near a midpoint to tell. Also the CSV reader's
 * (train/csv.ts) conversion of long mantissas.
 */
export function scaleExact(mh: number, ml: number, power: number): number {
  if (power < -22 || power > 22) return UNDECIDED
  let vh: number
  let vl: number
  if (power < 0) {
    const divisor = exactPowers[-power]!
    vh = mh / divisor
    const a = twoProduct(vh, divisor)
    // mh - a is exact (Sterbenz: a is within an ulp of mh); what is left is small.
    vl = (mh - a - errLow + ml) / divisor
  } else {
    const factor = exactPowers[power]!
    vh = twoProduct(mh, factor)
    vl = errLow + ml * factor
  }
  // Rounding is monotonic: if both ends of an interval that holds the true value round to the same
  // double, so does the value. Near a midpoint (or on one: a tie) they differ and V8 decides.
  const margin = vh * MARGIN
  const above = vh + (vl + margin)
  return above === vh + (vl - margin) ? above : UNDECIDED
}
