//! The `timeouts` block users know from other providers: `timeouts { create = "60m" }`, with
//! Go-style duration strings and per-operation defaults.

use std::time::Duration;

use crate::schema::{Attribute, Block, NestedBlock};
use crate::validate::Validator;
use crate::value::Value;

/// A `timeouts` block offering the named operations, each defaulting as given
/// (`&[("create", "60m"), ("delete", "60m")]`).
pub fn block(operations: &[(&str, &str)]) -> NestedBlock {
    let mut body = Block::new("How long each operation may take before it fails.");
    for (operation, default) in operations {
        body = body.attribute(
            Attribute::string(*operation)
                .optional()
                .validator(duration_validator())
                .description(format!(
                    "How long {operation} may take, as a duration such as `30s`, `10m` or `1h30m`. Defaults to `{default}`."
                )),
        );
    }
    NestedBlock::single("timeouts", body)
}

/// The timeout for `operation` from an object holding a `timeouts` block, or `default`.
pub fn get(object: &Value, operation: &str, default: Duration) -> Duration {
    object
        .get("timeouts")
        .and_then(|t| t.get(operation))
        .and_then(Value::as_str)
        .and_then(|s| parse_duration(s).ok())
        .unwrap_or(default)
}

/// Parses a Go-style duration: a sequence of decimal numbers with units `ns`, `us`, `ms`, `s`,
/// `m`, `h` (`1h30m`, `90s`, `1.5h`).
///
/// # Errors
/// A sentence saying what is wrong with the text.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("a duration cannot be empty".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = s;
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!("{text:?} is not a duration: expected a number at {rest:?}"));
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| format!("{text:?} is not a duration: bad number"))?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("{text:?} is not a duration: a unit (s, m or h) is missing")),
            other => return Err(format!("{text:?} is not a duration: unknown unit {other:?}")),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 1e12 {
        return Err(format!("{text:?} is too long a duration"));
    }
    Ok(Duration::from_secs_f64(total))
}

#[derive(Debug)]
struct DurationText;

impl Validator for DurationText {
    fn description(&self) -> String {
        "be a duration such as `30s`, `10m` or `1h30m`".into()
    }
    fn validate(&self, value: &Value, path: &crate::AttributePath, diags: &mut crate::Diagnostics) {
        if let Some(s) = value.as_str() {
            if let Err(why) = parse_duration(s) {
                diags.error_at(path.clone(), "Invalid duration", format!("{path}: {why}."));
            }
        }
    }
}

/// Checks that a string is a duration.
pub fn duration_validator() -> std::sync::Arc<dyn Validator> {
    std::sync::Arc::new(DurationText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("60m"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("ten minutes").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn reads_a_timeout_or_its_default() {
        let object = Value::object([("timeouts", Value::object([("create", Value::from("2s")), ("delete", Value::Null)]))]);
        assert_eq!(get(&object, "create", Duration::from_secs(60)), Duration::from_secs(2));
        assert_eq!(get(&object, "delete", Duration::from_secs(60)), Duration::from_secs(60));
        assert_eq!(get(&Value::Null, "update", Duration::from_secs(7)), Duration::from_secs(7));
    }
}
