//! cty values as Terraform sends them: `Type`, `Number`, `Value`, their msgpack and JSON encodings, and a serde bridge to typed models.
//!
//! A [`Value`] carries no type of its own: null and unknown are untyped, and the [`Type`] always
//! comes from the schema. Decoding takes the type ([`Value::from_msgpack`], [`Value::from_json`]),
//! and so does encoding ([`Value::to_msgpack`], [`Value::to_json`]). [`Value::conform`] checks a
//! value built by provider code against a type. [`from_value`] and [`to_value`] move between values
//! and serde models; typed models see unknown values as absent (`None`), while code that must tell
//! unknown from null works with `Value` itself (a model field may be typed `Value` to get the raw
//! sub-value).
//!
//! Every error is a [`ValueError`] naming the attribute path where it happened.

mod error;
mod json;
mod msgpack;
mod number;
mod serde_impl;
mod types;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

use std::collections::BTreeMap;

pub use error::{ValueError, ValueErrorKind};
pub use number::Number;
pub use serde_impl::{from_value, to_value};
pub use types::Type;

use crate::diag::{AttributePath, PathStep};
use error::Loc;

/// How deeply values may nest (containers within containers) when decoding, encoding or
/// checking them. Deeper input is refused with an error instead of exhausting the stack.
pub const MAX_DEPTH: usize = 256;

/// A cty value as Terraform sends it. Null and unknown are untyped: the type comes from the schema.
///
/// `==` is structural (set elements compare in order); [`Value::semantically_equal`] compares
/// sets as sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Value {
    #[default]
    Null,
    /// Not known until apply.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// A set's elements, in the order they arrived.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

impl Value {
    pub fn string(text: impl Into<String>) -> Value {
        Value::String(text.into())
    }

    pub fn number(number: impl Into<Number>) -> Value {
        Value::Number(number.into())
    }

    /// `Value::object([("name", Value::from("web")), ("size", Value::from(3))])`.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attributes.into_iter().map(|(name, value)| (name.into(), value)).collect())
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(key, value)| (key.into(), value)).collect())
    }

    pub fn list(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::List(elements.into_iter().collect())
    }

    pub fn set(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Set(elements.into_iter().collect())
    }

    pub fn tuple(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Tuple(elements.into_iter().collect())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether this value itself is known (its elements may still be unknown).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Whether no unknown value appears anywhere in this value.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(entries) | Value::Object(entries) => entries.values().all(Value::is_wholly_known),
        }
    }

    /// An attribute of an object (or an element of a map).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) | Value::Map(entries) => entries.get(name),
            _ => None,
        }
    }

    /// The value at a path: attributes and keys look into objects and maps, indexes into lists,
    /// sets (in their order) and tuples.
    pub fn get_path(&self, path: &AttributePath) -> Option<&Value> {
        path.steps.iter().try_fold(self, |value, step| match step {
            PathStep::Attr(name) | PathStep::Key(name) => value.get(name),
            PathStep::Index(index) => value.as_list()?.get(usize::try_from(*index).ok()?),
        })
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// The number as an `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(number) => Some(number),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a map or the attributes of an object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// Checks this value against a type and brings it to the type's shape: lists, sets and tuples
    /// become the kind the type names (set elements that are wholly known and equal are merged),
    /// maps and objects likewise, missing object attributes become null. Null and unknown conform
    /// to every type; anything conforms to `Dynamic`. Wrong primitive types, unsupported object
    /// attributes and tuple length mismatches are errors at their path (relative to `path`, the
    /// path of this value itself).
    pub fn conform(self, ty: &Type, path: &AttributePath) -> Result<Value, ValueError> {
        conform_at(self, ty, &Loc::Root(path), 0)
    }

    /// Compares like [`PartialEq`], except that sets compare as sets: order and repeats don't
    /// matter. Unknown equals unknown (they compare as placeholders, not as what they stand for).
    pub fn semantically_equal(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Set(x), Value::Set(y)) => {
                x.iter().all(|e| y.iter().any(|f| Value::semantically_equal(e, f)))
                    && y.iter().all(|f| x.iter().any(|e| Value::semantically_equal(e, f)))
            }
            (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(e, f)| Value::semantically_equal(e, f))
            }
            (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|((k, e), (l, f))| k == l && Value::semantically_equal(e, f))
            }
            _ => a == b,
        }
    }

    /// Calls `visit` on this value and every value inside it, parents first, with each one's path
    /// (relative to this value; set elements by position).
    pub fn walk(&self, visit: &mut impl FnMut(&AttributePath, &Value)) {
        let mut path = AttributePath::empty();
        self.walk_at(&mut path, visit);
    }

    fn walk_at(&self, path: &mut AttributePath, visit: &mut impl FnMut(&AttributePath, &Value)) {
        visit(path, self);
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.steps.push(PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX)));
                    item.walk_at(path, visit);
                    path.steps.pop();
                }
            }
            Value::Map(entries) => {
                for (key, item) in entries {
                    path.steps.push(PathStep::Key(key.clone()));
                    item.walk_at(path, visit);
                    path.steps.pop();
                }
            }
            Value::Object(entries) => {
                for (name, item) in entries {
                    path.steps.push(PathStep::Attr(name.clone()));
                    item.walk_at(path, visit);
                    path.steps.pop();
                }
            }
            _ => {}
        }
    }

    /// The paths of every unknown value inside this one (relative to it).
    pub fn unknown_paths(&self) -> Vec<AttributePath> {
        let mut paths = Vec::new();
        self.walk(&mut |path, value| {
            if value.is_unknown() {
                paths.push(path.clone());
            }
        });
        paths
    }

    /// The type this value would have on its own, as encoding it under `Dynamic` writes it:
    /// null and unknown are `Dynamic`; a list whose elements agree on a type is a list of it
    /// (null, unknown and empty parts agree with anything), otherwise a tuple; sets and maps whose
    /// elements disagree become a set or map of `Dynamic`.
    pub fn inferred_type(&self) -> Type {
        match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(items) => {
                let types: Vec<Type> = items.iter().map(Value::inferred_type).collect();
                match unify_all(&types) {
                    Some(element) => Type::list(element),
                    None => Type::Tuple(types),
                }
            }
            Value::Set(items) => {
                let types: Vec<Type> = items.iter().map(Value::inferred_type).collect();
                Type::set(unify_all(&types).unwrap_or(Type::Dynamic))
            }
            Value::Map(entries) => {
                let types: Vec<Type> = entries.values().map(Value::inferred_type).collect();
                Type::map(unify_all(&types).unwrap_or(Type::Dynamic))
            }
            Value::Object(entries) => {
                Type::Object(entries.iter().map(|(name, value)| (name.clone(), value.inferred_type())).collect())
            }
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::inferred_type).collect()),
        }
    }

    /// A phrase for messages: "a string", "null", "an unknown value".
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "an unknown value",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Set(_) => "a set",
            Value::Map(_) => "a map",
            Value::Object(_) => "an object",
            Value::Tuple(_) => "a tuple",
        }
    }
}

/// The one type all of `types` can be encoded with, `Dynamic` standing for "agrees with anything".
fn unify_all(types: &[Type]) -> Option<Type> {
    types.iter().try_fold(Type::Dynamic, |acc, ty| unify(&acc, ty))
}

fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        (Type::Dynamic, other) | (other, Type::Dynamic) => Some(other.clone()),
        (Type::List(x), Type::List(y)) => Some(Type::list(unify(x, y)?)),
        (Type::Set(x), Type::Set(y)) => Some(Type::set(unify(x, y)?)),
        (Type::Map(x), Type::Map(y)) => Some(Type::map(unify(x, y)?)),
        (Type::Object(x), Type::Object(y)) if x.len() == y.len() && x.keys().eq(y.keys()) => {
            let attributes = x.iter().zip(y.values()).map(|((name, x), y)| Some((name.clone(), unify(x, y)?)));
            Some(Type::Object(attributes.collect::<Option<_>>()?))
        }
        (Type::Tuple(x), Type::Tuple(y)) if x.len() == y.len() => {
            Some(Type::Tuple(x.iter().zip(y).map(|(x, y)| unify(x, y)).collect::<Option<_>>()?))
        }
        (x, y) if x == y => Some(x.clone()),
        _ => None,
    }
}

fn conform_at(value: Value, ty: &Type, loc: &Loc<'_>, depth: usize) -> Result<Value, ValueError> {
    if depth > MAX_DEPTH {
        return Err(ValueError::at(
            ValueErrorKind::Conform,
            loc,
            format!("the value nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    let mismatch = |value: &Value| {
        ValueError::at(ValueErrorKind::Conform, loc, format!("expected {}, got {}", ty.describe(), value.describe()))
    };
    let elements = |items: Vec<Value>, element: &Type| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| conform_at(item, element, &loc.index(i), depth + 1))
            .collect::<Result<Vec<_>, _>>()
    };
    match (ty, value) {
        (_, value @ (Value::Null | Value::Unknown)) | (Type::Dynamic, value) => Ok(value),
        (Type::Bool, value @ Value::Bool(_))
        | (Type::Number, value @ Value::Number(_))
        | (Type::String, value @ Value::String(_)) => Ok(value),
        (Type::List(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            Ok(Value::List(elements(items, element)?))
        }
        (Type::Set(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            let mut unique: Vec<Value> = Vec::with_capacity(items.len());
            for item in elements(items, element)? {
                if item.is_wholly_known() && unique.iter().any(|seen| Value::semantically_equal(seen, &item)) {
                    continue;
                }
                unique.push(item);
            }
            Ok(Value::Set(unique))
        }
        (Type::Tuple(types), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            if items.len() != types.len() {
                return Err(ValueError::at(
                    ValueErrorKind::Conform,
                    loc,
                    format!("expected a tuple of {} elements, got {} elements", types.len(), items.len()),
                ));
            }
            let items = items
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, ty))| conform_at(item, ty, &loc.index(i), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(items))
        }
        (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let item = conform_at(item, element, &loc.key(&key), depth + 1)?;
                out.insert(key, item);
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attributes), Value::Object(mut entries) | Value::Map(mut entries)) => {
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(ValueError::at(
                    ValueErrorKind::Conform,
                    &loc.attr(extra),
                    "unsupported attribute: the type has no attribute of this name",
                ));
            }
            let mut out = BTreeMap::new();
            for (name, ty) in attributes {
                let item = entries.remove(name).unwrap_or(Value::Null);
                let item = conform_at(item, ty, &loc.attr(name), depth + 1)?;
                out.insert(name.clone(), item);
            }
            Ok(Value::Object(out))
        }
        (_, value) => Err(mismatch(&value)),
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::String(text)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Number(Number::from(value))
    }
}

impl From<i32> for Value {
    fn from(value: i32) -> Self {
        Value::Number(Number::from(value))
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Self {
        Value::Number(Number::from(value))
    }
}

impl From<u64> for Value {
    fn from(value: u64) -> Self {
        Value::Number(Number::from(value))
    }
}

impl From<Number> for Value {
    fn from(number: Number) -> Self {
        Value::Number(number)
    }
}

/// `None` is null.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}
