/**
 * Decimal digits to the nearest double for the CSV reader (csv.ts), without making a string
 * per number. pandas writes floats with up to 17 significant digits, too many for the classic
 * exact fast path, and V8's string conversion costs ~140 ns each.
 *
 * The caller forms the mantissa exactly as a double-double (an unevaluated sum of two doubles);
 * it is scaled by an exact power of ten with error-free products (~2^-104 relative error) and
 * rounded. A value too near the midpoint between two doubles to be sure of the rounding (about one
 * in 2^27) or a power beyond 10^±22 is undecided, and the caller asks V8. So the answer is always
 * the one `Number(text)` gives. (The serving request reader has 64-bit integers to work with and
 * does this in WebAssembly: serving/numeric-rows.ts.)
 */

/** Exact powers of ten: every one up to 1e22 is a double. */
export const exactPowersOfTen = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`))
/** 2^27 + 1: Dekker's split of a double into two 26-bit halves. */
const SPLITTER = 134217729
/**
 * The double-double value is within 2^-100 (relative) of the true one; rounding is settled when
 * moving it by this much either way does not change the result.
 */
const MARGIN = 2 ** -80

const UNDECIDED = Number.NaN

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

/**
 * The double nearest to (mh + ml)·10^power, for an exact double-double mantissa mh + ml (|ml| far
 * below |mh|) and |power| <= 22; UNDECIDED when too near a midpoint to tell.
 */
export function scaleExact(mh: number, ml: number, power: number): number {
  if (power < -22 || power > 22) return UNDECIDED
  let vh: number
  let vl: number
  if (power < 0) {
    const divisor = exactPowersOfTen[-power]!
    vh = mh / divisor
    const a = twoProduct(vh, divisor)
    // mh - a is exact (Sterbenz: a is within an ulp of mh); what is left is small.
    vl = (mh - a - errLow + ml) / divisor
  } else {
    const factor = exactPowersOfTen[power]!
    vh = twoProduct(mh, factor)
    vl = errLow + ml * factor
  }
  // Rounding is monotonic: if both ends of an interval that holds the true value round to the same
  // double, so does the value. Near a midpoint (or on one: a tie) they differ and V8 decides.
  const margin = vh * MARGIN
  const above = vh + (vl + margin)
  return above === vh + (vl - margin) ? above : UNDECIDED
}

/**
 * (a + b) * 10^exponent rounded to the nearest double, for integers a (a multiple of 10^8, below
 * 10^17) and b (below 10^8) and |exponent| <= 22; undefined when the exact value is too close to a
 * tie between two doubles to decide here (the caller then uses Number). The scaling and the tie
 * check are scaleExact's; here a + b is made exact first.
 */
export function scaleDecimal(a: number, b: number, exponent: number): number | undefined {
  // w = a + b exactly as s + err.
  const s = a + b
  const bv = s - a
  const err = a - (s - bv) + (b - bv)
  if (exponent === 0) return s // one IEEE addition of exact integers: already the nearest double
  const value = scaleExact(s, err, exponent)
  return Number.isNaN(value) ? undefined : value
}
