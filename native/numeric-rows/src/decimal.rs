//! Decimal to the nearest double: w·10^q for a mantissa w of at most 19 digits. Clinger's fast
//! path when w and 10^q are both exact doubles; otherwise the Eisel–Lemire algorithm (one or two
//! 64×64-bit products with a 128-bit power of five), as in Rust's core::num::dec2flt and
//! fast_float, whose code this follows. None when the answer needs more (exponents outside the
//! table, subnormals, infinities): the caller then asks `f64::from_str`, which is exact too.

use crate::powers_of_five::{LARGEST_POWER_OF_FIVE, POWER_OF_FIVE_128, SMALLEST_POWER_OF_FIVE};

/// Every power of ten up to 10^22 is a double.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

const SIG_BITS: i32 = 52;
const MINIMUM_EXPONENT: i32 = -1023;
const INFINITE_POWER: i32 = 0x7ff;
/// The exponents where a product can fall exactly halfway between two doubles (fast_float).
const MIN_EXPONENT_ROUND_TO_EVEN: i64 = -4;
const MAX_EXPONENT_ROUND_TO_EVEN: i64 = 23;

#[inline(always)]
pub fn to_f64(w: u64, q: i64) -> Option<f64> {
    if w == 0 {
        return Some(0.0);
    }
    if w <= 1 << 53 && (-22..=22).contains(&q) {
        // Both operands exact: one correctly rounded operation.
        let v = w as f64;
        return Some(if q < 0 { v / EXACT_POWERS_OF_TEN[(-q) as usize] } else { v * EXACT_POWERS_OF_TEN[q as usize] });
    }
    eisel_lemire(w, q)
}

fn eisel_lemire(mut w: u64, q: i64) -> Option<f64> {
    if !(SMALLEST_POWER_OF_FIVE..=LARGEST_POWER_OF_FIVE).contains(&q) {
        return None;
    }
    let lz = w.leading_zeros() as i32;
    w <<= lz;
    let (low5, high5) = POWER_OF_FIVE_128[(q - SMALLEST_POWER_OF_FIVE) as usize];
    // 55 bits decide the result (52 stored, the hidden bit, a rounding bit, one for a leading zero
    // of the product); a second product is needed only when the bits below them are all ones.
    const MASK: u64 = u64::MAX >> (SIG_BITS + 3);
    let (mut lo, mut hi) = multiply(w, high5);
    if hi & MASK == MASK {
        let (_, second_hi) = multiply(w, low5);
        lo = lo.wrapping_add(second_hi);
        if second_hi > lo {
            hi += 1;
        }
    }
    if lo == u64::MAX && !(-27..=55).contains(&q) {
        return None;
    }
    let upperbit = (hi >> 63) as i32;
    let shift = upperbit + 64 - SIG_BITS - 3;
    let mut mantissa = hi >> shift;
    let mut power2 = power(q as i32) + upperbit - lz - MINIMUM_EXPONENT;
    if power2 <= 0 {
        return None; // subnormal
    }
    // Exactly halfway (possible only where 5^q is exact in 64 bits): round to even.
    if lo <= 1 && (MIN_EXPONENT_ROUND_TO_EVEN..=MAX_EXPONENT_ROUND_TO_EVEN).contains(&q) && mantissa & 3 == 1 && (mantissa << shift) == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << SIG_BITS {
        mantissa = 1 << SIG_BITS;
        power2 += 1;
    }
    mantissa &= !(1 << SIG_BITS);
    if power2 >= INFINITE_POWER {
        return None;
    }
    Some(f64::from_bits(mantissa | (power2 as u64) << SIG_BITS))
}

/// floor(log2(10^q)) + 63, for |q| in the table's range.
#[inline(always)]
fn power(q: i32) -> i32 {
    (q.wrapping_mul(152_170 + 65536) >> 16) + 63
}

/// The 128-bit product of two u64s as (low, high), from 32-bit halves: WebAssembly has no wide
/// multiply, and u128 arithmetic there is a library call.
#[inline(always)]
fn multiply(a: u64, b: u64) -> (u64, u64) {
    let (a_lo, a_hi) = (a & 0xffff_ffff, a >> 32);
    let (b_lo, b_hi) = (b & 0xffff_ffff, b >> 32);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> 32) + (lh & 0xffff_ffff) + (hl & 0xffff_ffff);
    ((ll & 0xffff_ffff) | (mid << 32), hh + (lh >> 32) + (hl >> 32) + (mid >> 32))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::format;

    /// xorshift64*: deterministic, no dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    /// Whether to_f64 decided; when it did, it must agree with from_str.
    fn check(w: u64, q: i64) -> bool {
        let text = format!("{w}e{q}");
        let expected: f64 = text.parse().unwrap();
        match to_f64(w, q) {
            Some(v) => {
                assert_eq!(v.to_bits(), expected.to_bits(), "{text}: {v:e} != {expected:e}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn multiply_matches_u128() {
        let mut rng = Rng(7);
        for _ in 0..100_000 {
            let (a, b) = (rng.next(), rng.next());
            let wide = (a as u128) * (b as u128);
            assert_eq!(multiply(a, b), (wide as u64, (wide >> 64) as u64));
        }
    }

    #[test]
    fn random_mantissas_round_like_from_str() {
        let mut rng = Rng(42);
        let mut decided = 0;
        for _ in 0..3_000_000 {
            let digits = 1 + rng.next() % 19;
            let w = rng.next() % 10u64.pow(digits as u32);
            let q = (rng.next() % 121) as i64 - 60;
            decided += check(w, q) as u32;
        }
        // Inside the table's range only the rare exact-halfway products are left to from_str.
        assert!(decided > 2_990_000, "{decided}");
    }

    #[test]
    fn doubles_written_shortest_read_back_exactly() {
        // What Python's json writes: the shortest digits that read back to the double.
        let mut rng = Rng(9);
        for _ in 0..1_000_000 {
            let v = f64::from_bits(rng.next() >> 2 | 0x3c00_0000_0000_0000) * [1e-30, 1e-10, 1.0, 1e10, 1e30][(rng.next() % 5) as usize];
            let text = format!("{v:e}");
            let (mantissa, exponent) = text.split_once('e').unwrap();
            let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            let w: u64 = format!("{int}{frac}").parse().unwrap();
            let q = exponent.parse::<i64>().unwrap() - frac.len() as i64;
            assert_eq!(to_f64(w, q).map(f64::to_bits).unwrap_or(v.to_bits()), v.to_bits(), "{text}");
        }
    }

    #[test]
    fn halfway_cases_round_to_even() {
        // 2^53 + 1 and + 3 lie halfway between doubles; 5e-324-style values are left to from_str.
        for text in ["9007199254740993", "9007199254740995", "9007199254740993e1", "1152921504606846977", "1152921504606846976e3"] {
            let (w, q) = text.split_once('e').map_or((text, 0), |(w, q)| (w, q.parse().unwrap()));
            assert!(check(w.parse().unwrap(), q), "{text}");
        }
        assert_eq!(to_f64(1, -400), None);
        assert_eq!(to_f64(1, 400), None);
        assert_eq!(to_f64(0, 400), Some(0.0));
    }
}
