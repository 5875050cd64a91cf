//! Reads the `data` rows of a numeric `dataframe_split` request — `[[n, ...], ...]`, numbers or
//! null — from the request's bytes into f64s. Compiled to WebAssembly and called by
//! `src/serving/split-json.ts`, which reads the rest of the body and owns this module's memory.
//!
//! Why WebAssembly: converting 10,000 17-digit decimals is most of a 1,000-row request. The
//! JavaScript reader needed double-double arithmetic to round them exactly, ~70 ns a number;
//! with the 64-bit integers WebAssembly has, the Eisel–Lemire conversion (decimal.rs) takes a
//! fraction of that. Every value is the correctly rounded double, as V8's `Number()` gives: what
//! decimal.rs cannot decide goes to Rust's exact `f64::from_str`.
//!
//! The grammar is JSON's, exactly; anything else (strings, booleans, rows of unequal length,
//! invalid JSON) answers OUTSIDE and the caller parses the body the general way.
#![cfg_attr(not(test), no_std)]

mod decimal;
mod powers_of_five;

use core::slice;

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Not rows of numbers in JSON's grammar.
const OUTSIDE: i32 = -1;
/// More values than the output has room for (the caller sizes it so this cannot happen).
const FULL: i32 = -2;

static mut ROWS: u32 = 0;
static mut WIDTH: u32 = 0;

/// Rows read by the last successful `read_rows`.
#[no_mangle]
pub extern "C" fn rows() -> u32 {
    unsafe { ROWS }
}

/// Values per row in the last successful `read_rows` (0 when there were no rows).
#[no_mangle]
pub extern "C" fn width() -> u32 {
    unsafe { WIDTH }
}

#[cfg(target_arch = "wasm32")]
extern "C" {
    static __heap_base: u8;
}

/// The first address past this module's stack and statics: the caller's buffers go from here.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub extern "C" fn heap_base() -> usize {
    unsafe { &__heap_base as *const u8 as usize }
}

/// Reads the rows starting at `input[pos]` (a `[`) into `out`, row by row. Returns the position
/// just past the closing `]`, or OUTSIDE / FULL; `rows()` and `width()` tell the shape.
#[no_mangle]
pub extern "C" fn read_rows(input: *const u8, len: usize, pos: usize, out: *mut f64, capacity: usize) -> i32 {
    read_with(input, len, pos, out, capacity, |reader| reader.rows())
}

/// Reads one flat list `[n, ...]` starting at `input[pos]` into `out` (V2 JSON's `data`, as
/// tritonclient sends it). Returns the position just past its `]`, or OUTSIDE / FULL; `rows()` is
/// then 1 and `width()` the list's length.
#[no_mangle]
pub extern "C" fn read_row(input: *const u8, len: usize, pos: usize, out: *mut f64, capacity: usize) -> i32 {
    read_with(input, len, pos, out, capacity, |reader| reader.row().map(|width| (reader.pos, 1, width)))
}

/// Runs `read` over the caller's regions; on success records the shape for `rows()` / `width()`
/// and returns the end position, else the error code.
fn read_with(input: *const u8, len: usize, pos: usize, out: *mut f64, capacity: usize, read: impl FnOnce(&mut Reader) -> Result<(usize, u32, u32), i32>) -> i32 {
    // Safety: the caller passes regions of this module's memory that it has sized.
    let bytes = unsafe { slice::from_raw_parts(input, len) };
    let out = unsafe { slice::from_raw_parts_mut(out, capacity) };
    match read(&mut Reader { bytes, pos, out, count: 0 }) {
        Ok((end, rows, width)) => {
            unsafe {
                ROWS = rows;
                WIDTH = width;
            }
            end as i32
        }
        Err(code) => code,
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    out: &'a mut [f64],
    count: usize,
}

impl Reader<'_> {
    /// The byte at `pos`, or 0 past the end (0 matches nothing in the grammar).
    #[inline(always)]
    fn at(&self, pos: usize) -> u8 {
        match self.bytes.get(pos) {
            Some(&c) => c,
            None => 0,
        }
    }

    #[inline(always)]
    fn skip_space(&mut self) -> u8 {
        loop {
            let c = self.at(self.pos);
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return c;
            }
            self.pos += 1;
        }
    }

    #[inline(always)]
    fn expect(&mut self, c: u8) -> Result<(), i32> {
        if self.skip_space() != c {
            return Err(OUTSIDE);
        }
        self.pos += 1;
        Ok(())
    }

    /// `[` row (`,` row)* `]` or `[]`; every row as long as the first.
    fn rows(&mut self) -> Result<(usize, u32, u32), i32> {
        self.expect(b'[')?;
        if self.skip_space() == b']' {
            return Ok((self.pos + 1, 0, 0));
        }
        let mut rows = 0u32;
        let mut width = u32::MAX;
        loop {
            let n = self.row()?;
            if width == u32::MAX {
                width = n;
            } else if n != width {
                return Err(OUTSIDE);
            }
            rows += 1;
            let c = self.skip_space();
            self.pos += 1;
            match c {
                b']' => return Ok((self.pos, rows, width)),
                b',' => {}
                _ => return Err(OUTSIDE),
            }
        }
    }

    fn row(&mut self) -> Result<u32, i32> {
        self.expect(b'[')?;
        if self.skip_space() == b']' {
            self.pos += 1;
            return Ok(0);
        }
        let mut n = 0u32;
        loop {
            self.skip_space();
            let value = self.number_or_null()?;
            if self.count == self.out.len() {
                return Err(FULL);
            }
            self.out[self.count] = value;
            self.count += 1;
            n += 1;
            let c = self.skip_space();
            self.pos += 1;
            match c {
                b']' => return Ok(n),
                b',' => {}
                _ => return Err(OUTSIDE),
            }
        }
    }

    /// A JSON number (its grammar checked here: no `+`, `.5`, `1.`, `inf`) or null as NaN. A
    /// leading zero stands alone: `012` fails at the caller's next byte.
    fn number_or_null(&mut self) -> Result<f64, i32> {
        let start = self.pos;
        let mut p = start;
        if self.at(p) == b'n' {
            if self.bytes.get(p..p + 4) != Some(b"null") {
                return Err(OUTSIDE);
            }
            self.pos = p + 4;
            return Ok(f64::NAN);
        }
        let negative = self.at(p) == b'-';
        if negative {
            p += 1;
        }
        let mut w = 0u64;
        // Significant digits: those from the first non-zero one (they must fit in w).
        let mut significant = 0usize;
        match self.at(p) {
            b'0' => p += 1,
            b'1'..=b'9' => {
                let from = p;
                p = self.digits(p, &mut w);
                significant = p - from;
            }
            _ => return Err(OUTSIDE),
        }
        let mut q = 0i64;
        if self.at(p) == b'.' {
            let from = p + 1;
            let mut first = from;
            if significant == 0 {
                while self.at(first) == b'0' {
                    first += 1;
                }
            }
            p = self.digits(first, &mut w);
            if p == from {
                return Err(OUTSIDE);
            }
            significant += p - first;
            q = -((p - from) as i64);
        }
        if self.at(p) | 0x20 == b'e' {
            p += 1;
            let negative_exponent = self.at(p) == b'-';
            if matches!(self.at(p), b'+' | b'-') {
                p += 1;
            }
            let from = p;
            let mut exponent = 0i64;
            while self.at(p).is_ascii_digit() {
                if exponent < 1_000_000 {
                    exponent = exponent * 10 + (self.at(p) - b'0') as i64;
                }
                p += 1;
            }
            if p == from {
                return Err(OUTSIDE);
            }
            q += if negative_exponent { -exponent } else { exponent };
        }
        self.pos = p;
        let magnitude = if significant <= 19 { decimal::to_f64(w, q) } else { None };
        match magnitude {
            Some(v) => Ok(if negative { -v } else { v }),
            // Safety: bytes[start..p] are ASCII (sign, digits, '.', 'e', 'E', '+').
            None => match unsafe { core::str::from_utf8_unchecked(&self.bytes[start..p]) }.parse::<f64>() {
                // A number too large for a double (1e400) reads as infinity: left to the general
                // reader, which refuses it with a message instead of scoring it into a null.
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(OUTSIDE),
            },
        }
    }

    /// Appends the run of digits at `p` to `w` (wrapping past 19 digits: the caller then does not
    /// use it); returns the position after the run. Eight at a time while they last (SWAR, as
    /// simdjson and fast_float do).
    #[inline(always)]
    fn digits(&self, mut p: usize, w: &mut u64) -> usize {
        while let Some(chunk) = self.bytes.get(p..p + 8) {
            let v = u64::from_le_bytes(chunk.try_into().unwrap());
            if (v & 0xf0f0_f0f0_f0f0_f0f0) | ((v.wrapping_add(0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0) >> 4) != 0x3333_3333_3333_3333 {
                break;
            }
            let mut v = v - 0x3030_3030_3030_3030;
            v = v * 10 + (v >> 8);
            v = ((v & 0x0000_00ff_0000_00ff).wrapping_mul(0x000f_4240_0000_0064)
                + ((v >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(0x0000_2710_0000_0001))
                >> 32;
            *w = w.wrapping_mul(100_000_000).wrapping_add(v);
            p += 8;
        }
        loop {
            let d = self.at(p).wrapping_sub(b'0');
            if d > 9 {
                return p;
            }
            *w = w.wrapping_mul(10).wrapping_add(d as u64);
            p += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(usize, u32, u32), i32> {
        let mut out = [0f64; 16];
        Reader { bytes: text.as_bytes(), pos: 0, out: &mut out, count: 0 }.rows()
    }

    fn read_flat(text: &str) -> Result<(usize, u32), i32> {
        let mut out = [0f64; 16];
        let mut reader = Reader { bytes: text.as_bytes(), pos: 0, out: &mut out, count: 0 };
        let width = reader.row()?;
        let end = reader.pos;
        assert_eq!(&out[..width as usize], &[1.5, -2.0, 3e-3][..width as usize], "{text}");
        Ok((end, width))
    }

    #[test]
    fn a_flat_list_ends_after_its_bracket() {
        assert_eq!(read_flat("[1.5, -2, 3e-3], \"shape\""), Ok((15, 3)));
        assert_eq!(read_flat(" [ 1.5 ] "), Ok((8, 1)));
        assert_eq!(read_flat("[]"), Ok((2, 0)));
        for text in ["[1.5,]", "[1.5 -2]", "[[1.5]]", "[1.5", "1.5]", "[\"1\"]"] {
            assert_eq!(read_flat(text), Err(OUTSIDE), "{text}");
        }
    }

    #[test]
    fn numbers_that_overflow_a_double_are_outside() {
        for text in ["[[1e400]]", "[[-1e400]]", "[[1.8e308]]", "[[123456789012345678901234567890e300]]", "[[0,1e309]]"] {
            assert_eq!(read(text), Err(OUTSIDE), "{text}");
        }
        for text in ["[[1.7976931348623157e308]]", "[[-1.7e308]]", "[[4.9e-324]]", "[[1e-400]]", "[[null]]"] {
            assert!(read(text).is_ok(), "{text}");
        }
    }
}
