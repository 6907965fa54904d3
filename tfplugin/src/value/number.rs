//! `Number`: an exact decimal of any size, as cty numbers travel between Terraform and providers.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::error::{ValueError, ValueErrorKind};
use crate::diag::AttributePath;

/// Exponents beyond this (in either direction) are refused when parsing: Terraform's own numbers
/// (Go `big.Float`) cannot reach them, and the bound keeps all exponent arithmetic in range.
const MAX_EXPONENT: i64 = 1_000_000_000_000_000;

/// A Terraform number, exactly: integers of any size and decimal fractions of any precision.
///
/// Integers that fit an `i64` are held as one (fast paths for the common case); everything else
/// is held as a sign, a string of significant digits and a power of ten. The representation is
/// canonical, so `==` and `Hash` compare numerically: `1.0 == 1`, `1e2 == 100`, `-0 == 0`.
///
/// `Display` prints the canonical text, which [`Number::parse`] reads back to the same number:
/// plain notation (`12345678901234567890123456789`, `0.1`, `-3.5`) unless that would need more
/// than 20 trailing or 5 leading zeros, then scientific notation (`1e400`, `2.5e-10`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// Every integer that fits an `i64`, zero included, and nothing else.
    Int(i64),
    /// Every other number: (-1)^negative × digits × 10^exponent, where `digits` is ASCII digits
    /// with no leading or trailing zero.
    Big { negative: bool, digits: Box<str>, exponent: i64 },
}

fn parse_error(input: &str, reason: &str) -> ValueError {
    let shown: String = input.chars().take(64).collect();
    let ellipsis = if shown.len() < input.len() { "…" } else { "" };
    ValueError::new(ValueErrorKind::Number, AttributePath::empty(), format!("{shown:?}{ellipsis} {reason}"))
}

impl Number {
    /// Zero.
    pub const ZERO: Number = Number(Repr::Int(0));

    pub fn from_i64(value: i64) -> Self {
        Number(Repr::Int(value))
    }

    pub fn from_u64(value: u64) -> Self {
        match i64::try_from(value) {
            Ok(value) => Number(Repr::Int(value)),
            Err(_) => Self::from_integer_text(false, &value.to_string()),
        }
    }

    pub fn from_i128(value: i128) -> Self {
        match i64::try_from(value) {
            Ok(value) => Number(Repr::Int(value)),
            Err(_) => Self::from_integer_text(value < 0, &value.unsigned_abs().to_string()),
        }
    }

    pub fn from_u128(value: u128) -> Self {
        match i64::try_from(value) {
            Ok(value) => Number(Repr::Int(value)),
            Err(_) => Self::from_integer_text(false, &value.to_string()),
        }
    }

    /// The number a float stands for, as its shortest decimal text (`0.1_f64` becomes `0.1`, not
    /// the binary value's 55 digits). `None` for NaN and infinities, which Terraform numbers can't be.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        // The range check is exact: both bounds are powers of two.
        if value.trunc() == value && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&value) {
            #[allow(clippy::cast_possible_truncation)]
            return Some(Number(Repr::Int(value as i64)));
        }
        // `{:e}` is the shortest text that reads back as the same float.
        Self::parse(&format!("{value:e}")).ok()
    }

    /// Like [`Number::from_f64`], with the shortest text of the `f32`.
    pub fn from_f32(value: f32) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        if value.trunc() == value && value.abs() < 1e18 {
            #[allow(clippy::cast_possible_truncation)]
            return Some(Number(Repr::Int(value as i64)));
        }
        Self::parse(&format!("{value:e}")).ok()
    }

    /// Reads decimal text: an optional sign, digits with an optional fraction (`12`, `-3.5`, `.5`,
    /// `5.`), and an optional exponent (`1e400`, `2.5E-3`). No spaces, `inf`, `nan`, hex or `_`.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&sign @ (b'+' | b'-')) = bytes.first() {
            negative = sign == b'-';
            i = 1;
        }
        let int_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &text[int_start..i];
        let mut frac_part = "";
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let frac_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            frac_part = &text[frac_start..i];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(parse_error(text, "is not a decimal number"));
        }
        let mut exponent: i64 = 0;
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            i += 1;
            let mut exp_negative = false;
            if let Some(&sign @ (b'+' | b'-')) = bytes.get(i) {
                exp_negative = sign == b'-';
                i += 1;
            }
            let exp_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                // Saturate: anything past MAX_EXPONENT is refused below.
                exponent = exponent.saturating_mul(10).saturating_add(i64::from(bytes[i] - b'0'));
                i += 1;
            }
            if i == exp_start {
                return Err(parse_error(text, "is not a decimal number: its exponent has no digits"));
            }
            if exp_negative {
                exponent = -exponent;
            }
        }
        if i != bytes.len() {
            return Err(parse_error(text, "is not a decimal number"));
        }
        if exponent.abs() > MAX_EXPONENT {
            return Err(parse_error(text, "has an exponent too large for a Terraform number"));
        }
        let frac_len = i64::try_from(frac_part.len()).unwrap_or(i64::MAX);
        let exponent = exponent.saturating_sub(frac_len);
        let mut digits = String::with_capacity(int_part.len() + frac_part.len());
        digits.push_str(int_part.trim_start_matches('0'));
        if digits.is_empty() {
            digits.push_str(frac_part.trim_start_matches('0'));
        } else {
            digits.push_str(frac_part);
        }
        Self::normalize(negative, &digits, exponent)
            .ok_or_else(|| parse_error(text, "has an exponent too large for a Terraform number"))
    }

    /// Builds the canonical form from digits without leading zeros (possibly empty: zero).
    fn normalize(negative: bool, digits: &str, exponent: i64) -> Option<Self> {
        let trimmed = digits.trim_end_matches('0');
        if trimmed.is_empty() {
            return Some(Self::ZERO);
        }
        let zeros = i64::try_from(digits.len() - trimmed.len()).ok()?;
        let exponent = exponent.checked_add(zeros)?;
        let len = i64::try_from(trimmed.len()).ok()?;
        if exponent.abs() > MAX_EXPONENT * 2 || len.checked_add(exponent)?.abs() > MAX_EXPONENT * 2 {
            return None;
        }
        if exponent >= 0 && len + exponent <= 19 {
            // Up to 19 digits always fits an i128 with room to spare.
            let mut magnitude: i128 = 0;
            for b in trimmed.bytes() {
                magnitude = magnitude * 10 + i128::from(b - b'0');
            }
            for _ in 0..exponent {
                magnitude *= 10;
            }
            let signed = if negative { -magnitude } else { magnitude };
            if let Ok(value) = i64::try_from(signed) {
                return Some(Number(Repr::Int(value)));
            }
        }
        Some(Number(Repr::Big { negative, digits: trimmed.into(), exponent }))
    }

    fn from_integer_text(negative: bool, digits: &str) -> Self {
        Self::normalize(negative, digits.trim_start_matches('0'), 0).unwrap_or(Self::ZERO)
    }

    /// The value as an `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Int(value) => Some(value),
            Repr::Big { .. } => None,
        }
    }

    /// The value as an `i128`, when it is an integer in range.
    pub fn as_i128(&self) -> Option<i128> {
        match &self.0 {
            Repr::Int(value) => Some(i128::from(*value)),
            Repr::Big { negative, digits, exponent } => {
                if *exponent < 0 || digits.len() as i64 + exponent > 39 {
                    return None;
                }
                // Accumulate with the number's own sign so that i128::MIN fits.
                let sign: i128 = if *negative { -1 } else { 1 };
                let mut value: i128 = 0;
                for b in digits.bytes().map(|b| i128::from(b - b'0')) {
                    value = value.checked_mul(10)?.checked_add(sign * b)?;
                }
                for _ in 0..*exponent {
                    value = value.checked_mul(10)?;
                }
                Some(value)
            }
        }
    }

    /// The value as a `u64`, when it is an integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i128().and_then(|v| u64::try_from(v).ok())
    }

    /// The nearest `f64`. Numbers beyond the `f64` range become ±infinity, tiny ones ±0.
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            #[allow(clippy::cast_precision_loss)]
            Repr::Int(value) => *value as f64,
            Repr::Big { negative, digits, exponent } => {
                let magnitude = digits.len() as i64 + exponent;
                let value = if magnitude > 400 {
                    f64::INFINITY
                } else if magnitude < -400 {
                    0.0
                } else {
                    // Rust's float parsing is correctly rounded for any number of digits.
                    format!("{digits}e{exponent}").parse::<f64>().unwrap_or(f64::NAN)
                };
                if *negative { -value } else { value }
            }
        }
    }

    /// Whether the number has no fractional part.
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Int(_) => true,
            Repr::Big { exponent, .. } => *exponent >= 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self.0, Repr::Int(0))
    }

    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Int(value) => *value < 0,
            Repr::Big { negative, .. } => *negative,
        }
    }

    /// The float to send in msgpack, when a float carries this number exactly and reads back as
    /// this very number (see `msgpack.rs`): a non-integral number with a short binary expansion.
    pub(crate) fn exact_f64(&self) -> Option<f64> {
        let Repr::Big { digits, exponent, .. } = &self.0 else { return None };
        // A non-integral decimal that is a binary fraction ends in 5.
        if *exponent >= 0 || !digits.ends_with('5') || *exponent < -1074 {
            return None;
        }
        let value = self.as_f64();
        if !value.is_finite() || value == 0.0 {
            return None;
        }
        if Number::from_f64(value).as_ref() != Some(self) {
            return None;
        }
        // Decompose |value| = m × 2^e with m odd: its decimal expansion has exactly -e fractional
        // digits, which must be ours; then the digits themselves must agree.
        let bits = value.abs().to_bits();
        let biased = i64::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
        let fraction = bits & ((1 << 52) - 1);
        let (mut mantissa, mut exp2) =
            if biased == 0 { (fraction, -1074) } else { (fraction | (1 << 52), biased - 1075) };
        let zeros = mantissa.trailing_zeros();
        mantissa >>= zeros;
        exp2 += i64::from(zeros);
        let _ = mantissa;
        if exp2 >= 0 || -exp2 != -exponent {
            return None;
        }
        let precision = usize::try_from(-exponent).ok()?;
        let exact = format!("{:.precision$}", value.abs());
        (exact == self.plain_magnitude()).then_some(value)
    }

    /// |self| in plain notation; only called where the result is known to be short.
    fn plain_magnitude(&self) -> String {
        match &self.0 {
            Repr::Int(value) => value.unsigned_abs().to_string(),
            Repr::Big { digits, exponent, .. } => plain(digits, *exponent),
        }
    }

    /// Sign, significant digits (empty for zero) and power of ten.
    fn parts(&self) -> (bool, std::borrow::Cow<'_, str>, i64) {
        match &self.0 {
            Repr::Int(0) => (false, "".into(), 0),
            Repr::Int(value) => {
                let text = value.unsigned_abs().to_string();
                let trimmed = text.trim_end_matches('0');
                let exponent = (text.len() - trimmed.len()) as i64;
                (*value < 0, trimmed.to_owned().into(), exponent)
            }
            Repr::Big { negative, digits, exponent } => (*negative, digits.as_ref().into(), *exponent),
        }
    }
}

fn plain(digits: &str, exponent: i64) -> String {
    let len = digits.len() as i64;
    if exponent >= 0 {
        let mut text = String::with_capacity(digits.len() + exponent as usize);
        text.push_str(digits);
        text.extend(std::iter::repeat_n('0', exponent as usize));
        text
    } else if len + exponent > 0 {
        let point = (len + exponent) as usize;
        format!("{}.{}", &digits[..point], &digits[point..])
    } else {
        let zeros = (-(len + exponent)) as usize;
        let mut text = String::from("0.");
        text.extend(std::iter::repeat_n('0', zeros));
        text.push_str(digits);
        text
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(value) => write!(f, "{value}"),
            Repr::Big { negative, digits, exponent } => {
                if *negative {
                    f.write_str("-")?;
                }
                let len = digits.len() as i64;
                let leading_zeros = -(len + exponent);
                if (0..=20).contains(exponent) || (*exponent < 0 && leading_zeros <= 5) {
                    f.write_str(&plain(digits, *exponent))
                } else {
                    let (first, rest) = digits.split_at(1);
                    let point = if rest.is_empty() { "" } else { "." };
                    write!(f, "{first}{point}{rest}e{}", exponent + len - 1)
                }
            }
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl FromStr for Number {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, ValueError> {
        Self::parse(text)
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        if let (Repr::Int(a), Repr::Int(b)) = (&self.0, &other.0) {
            return a.cmp(b);
        }
        let (a_neg, a_digits, a_exp) = self.parts();
        let (b_neg, b_digits, b_exp) = other.parts();
        let sign = |neg: bool, digits: &str| {
            if digits.is_empty() {
                0
            } else if neg {
                -1
            } else {
                1
            }
        };
        let (a_sign, b_sign) = (sign(a_neg, &a_digits), sign(b_neg, &b_digits));
        if a_sign != b_sign || a_sign == 0 {
            return a_sign.cmp(&b_sign);
        }
        // Same sign, both non-zero: compare magnitudes, then flip for negatives.
        let a_mag = a_digits.len() as i64 + a_exp;
        let b_mag = b_digits.len() as i64 + b_exp;
        let magnitude = a_mag.cmp(&b_mag).then_with(|| a_digits.as_bytes().cmp(b_digits.as_bytes()));
        if a_sign < 0 { magnitude.reverse() } else { magnitude }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Default for Number {
    fn default() -> Self {
        Self::ZERO
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Self::from_i64(value)
    }
}

impl From<i32> for Number {
    fn from(value: i32) -> Self {
        Self::from_i64(i64::from(value))
    }
}

impl From<u32> for Number {
    fn from(value: u32) -> Self {
        Self::from_i64(i64::from(value))
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        Self::from_u64(value)
    }
}

impl From<usize> for Number {
    fn from(value: usize) -> Self {
        Self::from_u64(value as u64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn round_trips_exactly_as_text() {
        for text in [
            "12345678901234567890123456789",
            "0.1",
            "-3.5",
            "1e400",
            "-1e400",
            "2.5e-10",
            "0.000001",
            "1e-7",
            "100000000000000000000",
            "1e21",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "0",
            "0.30000000000000004",
            "123.456",
        ] {
            assert_eq!(n(text).to_string(), text, "{text}");
        }
    }

    #[test]
    fn canonical_equality_and_hash() {
        assert_eq!(n("1.0"), n("1"));
        assert_eq!(n("1.0"), Number::from(1));
        assert_eq!(n("100"), n("1e2"));
        assert_eq!(n("-0"), n("0.000"));
        assert_eq!(n("0.10"), n(".1"));
        assert_eq!(n("5."), Number::from(5));
        assert_eq!(n("+7"), Number::from(7));
        assert_eq!(n("1E400"), n("10e399"));
        assert_ne!(n("0.1"), n("0.01"));
        let set: HashSet<Number> = ["1", "1.0", "1e0", "10e-1"].into_iter().map(n).collect();
        assert_eq!(set.len(), 1);
        assert_eq!(n("1e2").to_string(), "100");
        assert_eq!(n("0012.5000").to_string(), "12.5");
    }

    #[test]
    fn refuses_non_numbers() {
        for text in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "abc",
            "1.2.3",
            " 1",
            "1 ",
            "inf",
            "NaN",
            "0x10",
            "1_000",
            "--1",
            "1e99999999999999999999",
        ] {
            assert!(Number::parse(text).is_err(), "{text:?}");
        }
        let err = Number::parse("abc").unwrap_err();
        assert_eq!(err.to_string(), "parsing number: \"abc\" is not a decimal number");
    }

    #[test]
    fn fast_forms() {
        assert_eq!(n("42").as_i64(), Some(42));
        assert_eq!(n("4.2e1").as_i64(), Some(42));
        assert_eq!(n("4.5").as_i64(), None);
        assert_eq!(n("9223372036854775808").as_i64(), None);
        assert_eq!(n("9223372036854775808").as_u64(), Some(9_223_372_036_854_775_808));
        assert_eq!(n("-3.5").as_f64(), -3.5);
        assert_eq!(n("0.1").as_f64(), 0.1);
        assert_eq!(n("1e400").as_f64(), f64::INFINITY);
        assert_eq!(n("-1e-400").as_f64(), 0.0);
        assert!(n("1e400").is_integer());
        assert!(!n("0.5").is_integer());
        assert_eq!(Number::from_f64(0.1), Some(n("0.1")));
        assert_eq!(Number::from_f64(1e300), Some(n("1e300")));
        assert_eq!(Number::from_f64(-2.0), Some(Number::from(-2)));
        assert_eq!(Number::from_f64(f64::NAN), None);
        assert_eq!(Number::from_f64(f64::INFINITY), None);
        assert_eq!(Number::from_f32(0.1), Some(n("0.1")));
        assert_eq!(Number::from(u32::MAX).as_i64(), Some(4_294_967_295));
        assert_eq!(
            Number::from_i128(-170141183460469231731687303715884105728).to_string(),
            "-170141183460469231731687303715884105728"
        );
        assert_eq!(n("-170141183460469231731687303715884105728").as_i128(), Some(i128::MIN));
    }

    #[test]
    fn exact_floats() {
        assert_eq!(n("-3.5").exact_f64(), Some(-3.5));
        assert_eq!(n("0.25").exact_f64(), Some(0.25));
        assert_eq!(n("0.1").exact_f64(), None);
        assert_eq!(n("0.15").exact_f64(), None);
        assert_eq!(n("3").exact_f64(), None);
        // The exact binary value of 0.1 is exact, but it would read back as 0.1: not a float.
        assert_eq!(n("0.1000000000000000055511151231257827021181583404541015625").exact_f64(), None);
        assert_eq!(n("5e-324").exact_f64(), None);
    }

    #[test]
    fn ordering_is_numeric() {
        let mut numbers: Vec<Number> =
            ["1e400", "-1e400", "0", "-3.5", "0.1", "0.01", "12345678901234567890123456789", "7", "-7", "-0.5"]
                .into_iter()
                .map(n)
                .collect();
        numbers.sort();
        let texts: Vec<String> = numbers.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            ["-1e400", "-7", "-3.5", "-0.5", "0", "0.01", "0.1", "7", "12345678901234567890123456789", "1e400"]
        );
    }
}
