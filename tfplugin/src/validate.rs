//! Attribute validators: small values listed on an attribute, each able to check a known value
//! and to describe itself in the lowercase fragment the generated docs print.

use std::fmt::Debug;
use std::sync::Arc;

use regex::Regex;

use crate::diag::{AttributePath, Diagnostics};
use crate::value::Value;

/// Checks one known, non-null value of an attribute.
pub trait Validator: Send + Sync + Debug {
    /// Lowercase fragment completing "Value must …", e.g. "be one of `SPOT`, `ON_DEMAND`".
    fn description(&self) -> String;
    /// Adds an error at `path` when `value` is not acceptable.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

#[derive(Debug)]
struct OneOf(Vec<String>);

impl Validator for OneOf {
    fn description(&self) -> String {
        format!("be one of {}", quoted_list(&self.0))
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if !self.0.iter().any(|allowed| allowed == s) {
                diags.error_at(
                    path.clone(),
                    "Invalid value",
                    format!("{path} is {s:?}, but it must be one of {}.", quoted_list(&self.0)),
                );
            }
        }
    }
}

/// The string must be one of `allowed`.
pub fn one_of<I, S>(allowed: I) -> Arc<dyn Validator>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Arc::new(OneOf(allowed.into_iter().map(Into::into).collect()))
}

#[derive(Debug)]
struct IntBetween(i64, i64);

impl Validator for IntBetween {
    fn description(&self) -> String {
        match (self.0, self.1) {
            (min, i64::MAX) => format!("be at least {min}"),
            (i64::MIN, max) => format!("be at most {max}"),
            (min, max) => format!("be between {min} and {max}"),
        }
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(number) = value.as_number() else { return };
        let ok = number.as_i64().is_some_and(|n| n >= self.0 && n <= self.1);
        if !ok {
            diags.error_at(path.clone(), "Value out of range", format!("{path} is {number}, but it must {}.", self.description()));
        }
    }
}

/// A whole number in `min..=max`.
pub fn int_between(min: i64, max: i64) -> Arc<dyn Validator> {
    Arc::new(IntBetween(min, max))
}

/// A whole number of at least `min`.
pub fn int_at_least(min: i64) -> Arc<dyn Validator> {
    Arc::new(IntBetween(min, i64::MAX))
}

#[derive(Debug)]
struct WholeNumber;

impl Validator for WholeNumber {
    fn description(&self) -> String {
        String::new()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(number) = value.as_number() {
            if number.as_i64().is_none() {
                diags.error_at(path.clone(), "Expected a whole number", format!("{path} is {number}, but it must be a whole number."));
            }
        }
    }
}

/// A number without a fraction that fits 64 bits; every `Attribute::int` carries it.
pub fn whole_number() -> Arc<dyn Validator> {
    Arc::new(WholeNumber)
}

#[derive(Debug)]
struct FloatBetween(f64, f64);

impl Validator for FloatBetween {
    fn description(&self) -> String {
        format!("be between {} and {}", self.0, self.1)
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(number) = value.as_number() else { return };
        let n = number.as_f64();
        let ok = n >= self.0 && n <= self.1;
        if !ok {
            diags.error_at(path.clone(), "Value out of range", format!("{path} is {number}, but it must {}.", self.description()));
        }
    }
}

/// A number in `min..=max`, fractions allowed.
pub fn float_between(min: f64, max: f64) -> Arc<dyn Validator> {
    Arc::new(FloatBetween(min, max))
}

#[derive(Debug)]
struct LengthBetween(usize, usize);

impl Validator for LengthBetween {
    fn description(&self) -> String {
        format!("have a length between {} and {}", self.0, self.1)
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let len = match value {
            Value::String(s) => s.chars().count(),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => items.len(),
            Value::Map(items) => items.len(),
            _ => return,
        };
        if len < self.0 || len > self.1 {
            diags.error_at(
                path.clone(),
                "Invalid length",
                format!("{path} has length {len}, but it must have a length between {} and {}.", self.0, self.1),
            );
        }
    }
}

/// A string (in characters) or collection (in elements) whose length is in `min..=max`.
pub fn length_between(min: usize, max: usize) -> Arc<dyn Validator> {
    Arc::new(LengthBetween(min, max))
}

#[derive(Debug)]
struct Matches {
    regex: Regex,
    what: String,
}

impl Validator for Matches {
    fn description(&self) -> String {
        self.what.clone()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if !self.regex.is_match(s) {
                diags.error_at(path.clone(), "Invalid value", format!("{path} is {s:?}, but it must {}.", self.what));
            }
        }
    }
}

/// A string matching `pattern`; `what` completes "Value must …" in messages and docs.
///
/// # Panics
/// When `pattern` is not a valid regular expression: patterns are written by provider authors
/// and a bad one is a bug that the first test catches.
#[allow(clippy::expect_used)]
pub fn matches(pattern: &str, what: impl Into<String>) -> Arc<dyn Validator> {
    let regex = Regex::new(pattern).expect("validator pattern must compile");
    Arc::new(Matches { regex, what: what.into() })
}

#[derive(Debug)]
struct Each(Arc<dyn Validator>);

impl Validator for Each {
    fn description(&self) -> String {
        let inner = self.0.description();
        if inner.is_empty() { inner } else { format!("have elements that each {inner}") }
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        match value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                for (i, item) in items.iter().enumerate() {
                    if item.is_known() && !item.is_null() {
                        self.0.validate(item, &path.clone().index(i), diags);
                    }
                }
            }
            Value::Map(items) => {
                for (key, item) in items {
                    if item.is_known() && !item.is_null() {
                        self.0.validate(item, &path.clone().key(key.clone()), diags);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Applies `inner` to every element of a list, set or map.
pub fn each(inner: Arc<dyn Validator>) -> Arc<dyn Validator> {
    Arc::new(Each(inner))
}

fn quoted_list(items: &[String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(v: &Arc<dyn Validator>, value: Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        v.validate(&value, &AttributePath::root("x"), &mut diags);
        diags.iter().map(|d| d.detail.clone()).collect()
    }

    #[test]
    fn one_of_names_the_choices() {
        let v = one_of(["SPOT", "ON_DEMAND"]);
        assert!(errors(&v, Value::from("SPOT")).is_empty());
        assert_eq!(errors(&v, Value::from("spot")), vec!["x is \"spot\", but it must be one of `SPOT`, `ON_DEMAND`."]);
    }

    #[test]
    fn int_between_rejects_fractions_and_out_of_range() {
        let v = int_between(0, 3600);
        assert!(errors(&v, Value::from(3600)).is_empty());
        assert_eq!(errors(&v, Value::from(3601)).len(), 1);
        assert_eq!(errors(&v, Value::Number(crate::value::Number::from_f64(1.5).unwrap_or_else(|| unreachable!()))).len(), 1);
    }

    #[test]
    fn regex_and_each_report_element_paths() {
        let v = each(matches("^[a-z]+$", "be lowercase letters"));
        let mut diags = Diagnostics::new();
        v.validate(&Value::List(vec![Value::from("ok"), Value::from("NO")]), &AttributePath::root("t"), &mut diags);
        assert_eq!(diags.iter().map(|d| d.path.as_ref().map(ToString::to_string)).collect::<Vec<_>>(), vec![Some("t[1]".into())]);
        assert_eq!(v.description(), "have elements that each be lowercase letters");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let v = length_between(1, 3);
        assert!(errors(&v, Value::from("äöü")).is_empty());
        assert_eq!(errors(&v, Value::from("")).len(), 1);
    }
}
