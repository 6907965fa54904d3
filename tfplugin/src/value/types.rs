//! `Type`: cty types as schemas declare them, with cty's JSON type encoding both ways.

use std::collections::BTreeMap;
use std::fmt;

use super::error::{Loc, ValueError, ValueErrorKind};
use crate::diag::AttributePath;

/// A cty type. Terraform's schema attribute `type` field carries one as JSON bytes
/// ([`Type::to_json_bytes`] / [`Type::from_json`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Number,
    String,
    /// Any type: the value carries its own type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `Type::object([("name", Type::String), ("size", Type::Number)])`.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(attributes.into_iter().map(|(name, ty)| (name.into(), ty)).collect())
    }

    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elements.into_iter().collect())
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(element) | Type::Set(element) | Type::Map(element) => Some(element),
            _ => None,
        }
    }

    /// The attribute types of an object.
    pub fn attribute_types(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object(attributes) => Some(attributes),
            _ => None,
        }
    }

    /// Whether `Dynamic` appears anywhere in this type.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::Bool | Type::Number | Type::String => false,
            Type::List(element) | Type::Set(element) | Type::Map(element) => element.has_dynamic(),
            Type::Object(attributes) => attributes.values().any(Type::has_dynamic),
            Type::Tuple(elements) => elements.iter().any(Type::has_dynamic),
        }
    }

    /// cty's JSON encoding of this type: `"string"`, `["list","string"]`,
    /// `["object",{"a":"string"}]`, `["tuple",["bool"]]`…, compact, attributes sorted.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_json(&mut out);
        out
    }

    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Type::Bool => out.extend_from_slice(b"\"bool\""),
            Type::Number => out.extend_from_slice(b"\"number\""),
            Type::String => out.extend_from_slice(b"\"string\""),
            Type::Dynamic => out.extend_from_slice(b"\"dynamic\""),
            Type::List(element) | Type::Set(element) | Type::Map(element) => {
                let kind: &[u8] = match self {
                    Type::List(_) => b"[\"list\",",
                    Type::Set(_) => b"[\"set\",",
                    _ => b"[\"map\",",
                };
                out.extend_from_slice(kind);
                element.write_json(out);
                out.push(b']');
            }
            Type::Object(attributes) => {
                out.extend_from_slice(b"[\"object\",{");
                for (i, (name, ty)) in attributes.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    super::json::write_json_string(name, out);
                    out.push(b':');
                    ty.write_json(out);
                }
                out.extend_from_slice(b"}]");
            }
            Type::Tuple(elements) => {
                out.extend_from_slice(b"[\"tuple\",[");
                for (i, ty) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    ty.write_json(out);
                }
                out.extend_from_slice(b"]]");
            }
        }
    }

    /// Reads cty's JSON type encoding. An object type's optional third element (the names of its
    /// optional attributes) is accepted and ignored. Errors name the attribute inside the type.
    pub fn from_json(bytes: &[u8]) -> Result<Type, ValueError> {
        // serde_json refuses nesting deeper than 128 levels, which bounds the recursion below.
        let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
            ValueError::new(ValueErrorKind::Type, AttributePath::empty(), format!("type is not valid JSON: {err}"))
        })?;
        let root = AttributePath::empty();
        Self::from_json_value(&json, &Loc::Root(&root))
    }

    fn from_json_value(json: &serde_json::Value, loc: &Loc<'_>) -> Result<Type, ValueError> {
        use serde_json::Value as J;
        let fail = |message: String| ValueError::at(ValueErrorKind::Type, loc, message);
        match json {
            J::String(name) => match name.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(fail(format!("unknown primitive type {other:?}"))),
            },
            J::Array(items) => {
                let Some(J::String(kind)) = items.first() else {
                    return Err(fail(
                        "a complex type must be an array starting with its kind, like [\"list\", \"string\"]".into(),
                    ));
                };
                let arity_ok = match kind.as_str() {
                    "object" => items.len() == 2 || items.len() == 3,
                    _ => items.len() == 2,
                };
                if !arity_ok {
                    return Err(fail(format!(
                        "a {kind} type must have {} elements, got {}",
                        if kind == "object" { "2 or 3" } else { "2" },
                        items.len()
                    )));
                }
                match (kind.as_str(), &items[1]) {
                    ("list", element) => Ok(Type::list(Self::from_json_value(element, loc)?)),
                    ("set", element) => Ok(Type::set(Self::from_json_value(element, loc)?)),
                    ("map", element) => Ok(Type::map(Self::from_json_value(element, loc)?)),
                    ("object", J::Object(attributes)) => {
                        if let Some(optional) = items.get(2) {
                            let names_ok = matches!(optional, J::Array(names) if names.iter().all(J::is_string));
                            if !names_ok {
                                return Err(fail(
                                    "an object type's optional attributes must be an array of names".into(),
                                ));
                            }
                        }
                        let mut types = BTreeMap::new();
                        for (name, ty) in attributes {
                            let ty = Self::from_json_value(ty, &loc.attr(name))?;
                            types.insert(name.clone(), ty);
                        }
                        Ok(Type::Object(types))
                    }
                    ("object", _) => Err(fail("an object type's attributes must be a JSON object".into())),
                    ("tuple", J::Array(elements)) => {
                        let types = elements
                            .iter()
                            .enumerate()
                            .map(|(i, ty)| Self::from_json_value(ty, &loc.index(i)))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok(Type::Tuple(types))
                    }
                    ("tuple", _) => Err(fail("a tuple type's elements must be a JSON array".into())),
                    (other, _) => Err(fail(format!("unknown type kind {other:?}"))),
                }
            }
            other => Err(fail(format!("a type must be a string or an array, got {}", json_kind(other)))),
        }
    }

    /// A phrase for messages: "a string", "a list of number", "an object".
    pub(crate) fn describe(&self) -> String {
        match self {
            Type::Bool => "a bool".into(),
            Type::Number => "a number".into(),
            Type::String => "a string".into(),
            Type::Dynamic => "a value of any type".into(),
            Type::List(element) => format!("a list of {element}"),
            Type::Set(element) => format!("a set of {element}"),
            Type::Map(element) => format!("a map of {element}"),
            Type::Object(_) => "an object".into(),
            Type::Tuple(elements) => format!("a tuple of {} elements", elements.len()),
        }
    }
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// cty's friendly names: `string`, `list of number`, `map of list of string`, `object`, `tuple`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(element) => write!(f, "list of {element}"),
            Type::Set(element) => write!(f, "set of {element}"),
            Type::Map(element) => write!(f, "map of {element}"),
            Type::Object(_) => f.write_str("object"),
            Type::Tuple(_) => f.write_str("tuple"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_encoding_matches_cty() {
        let ty = Type::object([
            ("name", Type::String),
            ("tags", Type::map(Type::String)),
            ("ports", Type::list(Type::Number)),
            ("ids", Type::set(Type::Bool)),
            ("pair", Type::tuple([Type::String, Type::Dynamic])),
        ]);
        let json = String::from_utf8(ty.to_json_bytes()).unwrap();
        assert_eq!(
            json,
            r#"["object",{"ids":["set","bool"],"name":"string","pair":["tuple",["string","dynamic"]],"ports":["list","number"],"tags":["map","string"]}]"#
        );
        assert_eq!(Type::from_json(json.as_bytes()).unwrap(), ty);
        assert_eq!(Type::from_json(b"\"dynamic\"").unwrap(), Type::Dynamic);
        assert_eq!(Type::from_json(br#"["object",{}]"#).unwrap(), Type::object::<&str>([]));
    }

    #[test]
    fn accepts_optional_attributes() {
        let ty = Type::from_json(br#"["object",{"a":"string","b":"number"},["b"]]"#).unwrap();
        assert_eq!(ty, Type::object([("a", Type::String), ("b", Type::Number)]));
    }

    #[test]
    fn refuses_bad_types_with_paths() {
        let err = Type::from_json(br#"["object",{"a":["list","strin"]}]"#).unwrap_err();
        assert_eq!(err.to_string(), "decoding type at a: unknown primitive type \"strin\"");
        for bad in [
            &b"\"float\""[..],
            b"[]",
            b"[\"list\"]",
            b"[\"list\",\"string\",1]",
            b"{}",
            b"7",
            b"[\"tuple\",{}]",
            b"not json",
            b"[\"object\",{},[1]]",
        ] {
            assert!(Type::from_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!("{}\"string\"{}", "[\"list\",".repeat(500), "]".repeat(500));
        assert!(Type::from_json(deep.as_bytes()).is_err());
    }

    #[test]
    fn friendly_names() {
        assert_eq!(Type::map(Type::list(Type::String)).to_string(), "map of list of string");
    }
}
