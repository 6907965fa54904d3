//! Values as cty JSON, the form Terraform keeps in state (UpgradeResourceState's raw state).
//!
//! Numbers keep their full precision: this module reads JSON with its own small parser, which
//! hands each number's exact text to [`Number::parse`], instead of going through
//! `serde_json::Value`. serde_json would round numbers to `f64` unless its `arbitrary_precision`
//! feature were on, and that feature is global: it would change `serde_json::Number` for every
//! crate in the build. The parser is typed (it knows the expected [`Type`] at every step), so
//! errors name the attribute path, it refuses nesting deeper than [`MAX_DEPTH`], and string
//! escapes are decoded by serde_json itself.
//!
//! Like cty, reading is lenient about primitives (a number or bool where a string is expected
//! becomes its text; `"true"`/`"false"` read as bools; numeric strings read as numbers), and a
//! value of type `Dynamic` is `{"value": …, "type": …}`. Unknown values cannot be written.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::error::{Loc, ValueError, ValueErrorKind};
use super::{MAX_DEPTH, Number, Type, Value};
use crate::diag::AttributePath;

impl Value {
    /// Reads cty JSON (as in Terraform state) into a value of type `ty`. An object attribute that
    /// the type lacks is an error naming its path; missing attributes are null.
    pub fn from_json(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
        parse_document(bytes, ty, false)
    }

    /// Like [`Value::from_json`], but object attributes that the type lacks are dropped: for state
    /// written by a schema that had attributes the current one (at the same version) has lost.
    pub fn from_json_lenient(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
        parse_document(bytes, ty, true)
    }

    /// Writes this value as cty JSON of type `ty`: compact, keys sorted, every object attribute
    /// present (null when missing from the value). Unknown values are an error.
    pub fn to_json(&self, ty: &Type) -> Result<Vec<u8>, ValueError> {
        let mut out = Vec::new();
        let root = AttributePath::empty();
        write_value(self, ty, &Loc::Root(&root), 0, &mut out)?;
        Ok(out)
    }
}

fn decode_error(loc: &Loc<'_>, message: impl Into<String>) -> ValueError {
    ValueError::at(ValueErrorKind::Decode, loc, message)
}

fn encode_error(loc: &Loc<'_>, message: impl Into<String>) -> ValueError {
    ValueError::at(ValueErrorKind::Encode, loc, message)
}

fn parse_document(bytes: &[u8], ty: &Type, lenient: bool) -> Result<Value, ValueError> {
    let mut parser = Parser { bytes, pos: 0, lenient };
    let root = AttributePath::empty();
    let loc = Loc::Root(&root);
    let value = parser.value(ty, &loc, 0)?;
    parser.skip_ws();
    if parser.pos != bytes.len() {
        return Err(parser.error(&loc, format!("unexpected {} after the value", parser.what_is_next())));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    lenient: bool,
}

impl<'a> Parser<'a> {
    fn error(&self, loc: &Loc<'_>, message: impl std::fmt::Display) -> ValueError {
        decode_error(loc, format!("{message} (at byte {})", self.pos))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// A phrase for the token at the current position.
    fn what_is_next(&self) -> String {
        match self.peek() {
            None => "the end of the JSON".into(),
            Some(b'"') => "a string".into(),
            Some(b'[') => "an array".into(),
            Some(b'{') => "an object".into(),
            Some(b't' | b'f') => "a bool".into(),
            Some(b'n') => "null".into(),
            Some(b'-' | b'0'..=b'9') => "a number".into(),
            Some(b) if b.is_ascii_graphic() => format!("the character '{}'", b as char),
            Some(b) => format!("the byte 0x{b:02x}"),
        }
    }

    fn expect(&mut self, byte: u8, loc: &Loc<'_>) -> Result<(), ValueError> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(loc, format!("expected '{}', got {}", byte as char, self.what_is_next())))
        }
    }

    fn literal(&mut self, word: &'static str, loc: &Loc<'_>) -> Result<(), ValueError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error(loc, "invalid literal: expected true, false or null"))
        }
    }

    /// The exact text of a JSON number (RFC 8259 grammar).
    fn number_text(&mut self, loc: &Loc<'_>) -> Result<&'a str, ValueError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_len = digits(self);
        if int_len == 0 || (int_len > 1 && self.bytes[int_start] == b'0') {
            return Err(self.error(loc, "invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error(loc, "invalid number: no digits after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error(loc, "invalid number: no digits in the exponent"));
            }
        }
        // Only ASCII was consumed, so this cannot fail.
        std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| self.error(loc, "invalid number"))
    }

    fn number(&mut self, loc: &Loc<'_>) -> Result<Number, ValueError> {
        let text = self.number_text(loc)?;
        Number::parse(text).map_err(|err| self.error(loc, err.message))
    }

    fn string(&mut self, loc: &Loc<'_>) -> Result<Cow<'a, str>, ValueError> {
        self.expect(b'"', loc)?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            match self.peek() {
                None => return Err(self.error(loc, "the JSON ends in the middle of a string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 2;
                }
                Some(0..0x20) => return Err(self.error(loc, "control character in a string: it must be escaped")),
                Some(_) => self.pos += 1,
            }
        }
        let raw = &self.bytes[start..self.pos];
        self.pos += 1;
        if escaped {
            // serde_json decodes the escapes, surrogate pairs included, and checks UTF-8.
            serde_json::from_slice::<String>(&self.bytes[start - 1..self.pos])
                .map(Cow::Owned)
                .map_err(|err| self.error(loc, format!("invalid string: {err}")))
        } else {
            std::str::from_utf8(raw).map(Cow::Borrowed).map_err(|_| self.error(loc, "the string is not valid UTF-8"))
        }
    }

    /// Call after '[': whether another element follows (consumes the ',' or the ']').
    fn array_next(&mut self, first: bool, loc: &Loc<'_>) -> Result<bool, ValueError> {
        self.skip_ws();
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            Some(b',') if !first => {
                self.pos += 1;
                Ok(true)
            }
            _ if first => Ok(true),
            _ => Err(self.error(loc, format!("expected ',' or ']' in an array, got {}", self.what_is_next()))),
        }
    }

    /// Call after '{': the next key (with its ':' consumed), or `None` at the '}'.
    fn object_next(&mut self, first: bool, loc: &Loc<'_>) -> Result<Option<Cow<'a, str>>, ValueError> {
        self.skip_ws();
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') if !first => self.pos += 1,
            _ if first => {}
            _ => return Err(self.error(loc, format!("expected ',' or '}}' in an object, got {}", self.what_is_next()))),
        }
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Err(self.error(loc, format!("expected a string key in an object, got {}", self.what_is_next())));
        }
        let key = self.string(loc)?;
        self.expect(b':', loc)?;
        Ok(Some(key))
    }

    fn mismatch(&self, ty: &Type, loc: &Loc<'_>) -> ValueError {
        self.error(loc, format!("expected {}, got {}", ty.describe(), self.what_is_next()))
    }

    fn value(&mut self, ty: &Type, loc: &Loc<'_>, depth: usize) -> Result<Value, ValueError> {
        if depth > MAX_DEPTH {
            return Err(self.error(loc, format!("the value nests deeper than {MAX_DEPTH} levels")));
        }
        self.skip_ws();
        if self.peek() == Some(b'n') {
            self.literal("null", loc)?;
            return Ok(Value::Null);
        }
        match ty {
            Type::Dynamic => self.dynamic(loc, depth),
            Type::Bool => match self.peek() {
                Some(b't') => self.literal("true", loc).map(|()| Value::Bool(true)),
                Some(b'f') => self.literal("false", loc).map(|()| Value::Bool(false)),
                Some(b'"') => match self.string(loc)?.as_ref() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    other => Err(self.error(loc, format!("expected a bool, got the string {other:?}"))),
                },
                _ => Err(self.mismatch(ty, loc)),
            },
            Type::Number => match self.peek() {
                Some(b'-' | b'0'..=b'9') => self.number(loc).map(Value::Number),
                Some(b'"') => {
                    let text = self.string(loc)?;
                    Number::parse(&text)
                        .map(Value::Number)
                        .map_err(|err| self.error(loc, format!("expected a number: {}", err.message)))
                }
                _ => Err(self.mismatch(ty, loc)),
            },
            Type::String => match self.peek() {
                Some(b'"') => self.string(loc).map(|text| Value::String(text.into_owned())),
                Some(b'-' | b'0'..=b'9') => self.number_text(loc).map(Value::string),
                Some(b't') => self.literal("true", loc).map(|()| Value::string("true")),
                Some(b'f') => self.literal("false", loc).map(|()| Value::string("false")),
                _ => Err(self.mismatch(ty, loc)),
            },
            Type::List(element) | Type::Set(element) => {
                if self.peek() != Some(b'[') {
                    return Err(self.mismatch(ty, loc));
                }
                self.pos += 1;
                let mut items = Vec::new();
                while self.array_next(items.is_empty(), loc)? {
                    let item = self.value(element, &loc.index(items.len()), depth + 1)?;
                    items.push(item);
                }
                Ok(if matches!(ty, Type::Set(_)) { Value::Set(items) } else { Value::List(items) })
            }
            Type::Tuple(types) => {
                if self.peek() != Some(b'[') {
                    return Err(self.mismatch(ty, loc));
                }
                self.pos += 1;
                let mut items = Vec::with_capacity(types.len());
                while self.array_next(items.is_empty(), loc)? {
                    let Some(element) = types.get(items.len()) else {
                        return Err(self.error(loc, format!("expected a tuple of {} elements, got more", types.len())));
                    };
                    let item = self.value(element, &loc.index(items.len()), depth + 1)?;
                    items.push(item);
                }
                if items.len() != types.len() {
                    return Err(
                        self.error(loc, format!("expected a tuple of {} elements, got {}", types.len(), items.len()))
                    );
                }
                Ok(Value::Tuple(items))
            }
            Type::Map(element) => {
                if self.peek() != Some(b'{') {
                    return Err(self.mismatch(ty, loc));
                }
                self.pos += 1;
                let mut entries = BTreeMap::new();
                while let Some(key) = self.object_next(entries.is_empty(), loc)? {
                    let item = self.value(element, &loc.key(&key), depth + 1)?;
                    if entries.contains_key(key.as_ref()) {
                        return Err(self.error(&loc.key(&key), "the map has this key twice"));
                    }
                    entries.insert(key.into_owned(), item);
                }
                Ok(Value::Map(entries))
            }
            Type::Object(attributes) => {
                if self.peek() != Some(b'{') {
                    return Err(self.mismatch(ty, loc));
                }
                self.pos += 1;
                let mut entries = BTreeMap::new();
                let mut first = true;
                while let Some(name) = self.object_next(first, loc)? {
                    first = false;
                    let Some(attribute_type) = attributes.get(name.as_ref()) else {
                        if self.lenient {
                            self.skip_value(&loc.attr(&name), depth + 1)?;
                            continue;
                        }
                        return Err(self.error(
                            &loc.attr(&name),
                            "unsupported attribute: the schema has no attribute of this name",
                        ));
                    };
                    let item = self.value(attribute_type, &loc.attr(&name), depth + 1)?;
                    if entries.contains_key(name.as_ref()) {
                        return Err(self.error(&loc.attr(&name), "the object has this attribute twice"));
                    }
                    entries.insert(name.into_owned(), item);
                }
                for name in attributes.keys() {
                    if !entries.contains_key(name) {
                        entries.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(entries))
            }
        }
    }

    /// `{"value": …, "type": …}`, in either order.
    fn dynamic(&mut self, loc: &Loc<'_>, depth: usize) -> Result<Value, ValueError> {
        if self.peek() != Some(b'{') {
            return Err(self.error(
                loc,
                format!("expected a dynamic value ({{\"value\": …, \"type\": …}}), got {}", self.what_is_next()),
            ));
        }
        self.pos += 1;
        let mut value_span = None;
        let mut type_span = None;
        let mut first = true;
        while let Some(key) = self.object_next(first, loc)? {
            first = false;
            let slot = match key.as_ref() {
                "value" => &mut value_span,
                "type" => &mut type_span,
                other => {
                    return Err(
                        self.error(loc, format!("a dynamic value has only \"value\" and \"type\", not {other:?}"))
                    );
                }
            };
            if slot.is_some() {
                return Err(self.error(loc, format!("a dynamic value has {key:?} twice")));
            }
            self.skip_ws();
            let start = self.pos;
            self.skip_value(loc, depth + 1)?;
            *slot = Some((start, self.pos));
        }
        let (Some((value_start, value_end)), Some((type_start, type_end))) = (value_span, type_span) else {
            return Err(self.error(loc, "a dynamic value needs both \"value\" and \"type\""));
        };
        let ty = Type::from_json(&self.bytes[type_start..type_end])
            .map_err(|err| self.error(loc, format!("a dynamic value has an invalid type: {err}")))?;
        let mut inner = Parser { bytes: &self.bytes[..value_end], pos: value_start, lenient: self.lenient };
        inner.value(&ty, loc, depth + 1)
    }

    /// Checks and passes over one JSON value of any shape.
    fn skip_value(&mut self, loc: &Loc<'_>, depth: usize) -> Result<(), ValueError> {
        if depth > MAX_DEPTH {
            return Err(self.error(loc, format!("the value nests deeper than {MAX_DEPTH} levels")));
        }
        self.skip_ws();
        match self.peek() {
            Some(b'"') => self.string(loc).map(drop),
            Some(b'-' | b'0'..=b'9') => self.number_text(loc).map(drop),
            Some(b't') => self.literal("true", loc),
            Some(b'f') => self.literal("false", loc),
            Some(b'n') => self.literal("null", loc),
            Some(b'[') => {
                self.pos += 1;
                let mut first = true;
                while self.array_next(first, loc)? {
                    first = false;
                    self.skip_value(loc, depth + 1)?;
                }
                Ok(())
            }
            Some(b'{') => {
                self.pos += 1;
                let mut first = true;
                while self.object_next(first, loc)?.is_some() {
                    first = false;
                    self.skip_value(loc, depth + 1)?;
                }
                Ok(())
            }
            _ => Err(self.error(loc, format!("expected a JSON value, got {}", self.what_is_next()))),
        }
    }
}

fn write_value(value: &Value, ty: &Type, loc: &Loc<'_>, depth: usize, out: &mut Vec<u8>) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(encode_error(loc, format!("the value nests deeper than {MAX_DEPTH} levels")));
    }
    match (ty, value) {
        (_, Value::Unknown) => {
            return Err(encode_error(loc, "the value is unknown, and JSON (state) can hold only known values"));
        }
        (_, Value::Null) => out.extend_from_slice(b"null"),
        (Type::Dynamic, value) => {
            let actual = value.inferred_type();
            out.extend_from_slice(b"{\"value\":");
            write_value(value, &actual, loc, depth + 1, out)?;
            out.extend_from_slice(b",\"type\":");
            actual.write_json(out);
            out.push(b'}');
        }
        (Type::Bool, Value::Bool(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        (Type::Number, Value::Number(number)) => out.extend_from_slice(number.to_string().as_bytes()),
        (Type::String, Value::String(text)) => write_json_string(text, out),
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, element, &loc.index(i), depth + 1, out)?;
            }
            out.push(b']');
        }
        (Type::Tuple(types), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            if items.len() != types.len() {
                return Err(encode_error(
                    loc,
                    format!("expected a tuple of {} elements, got {} elements", types.len(), items.len()),
                ));
            }
            out.push(b'[');
            for (i, (item, ty)) in items.iter().zip(types).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, ty, &loc.index(i), depth + 1, out)?;
            }
            out.push(b']');
        }
        (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
            out.push(b'{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(key, out);
                out.push(b':');
                write_value(item, element, &loc.key(key), depth + 1, out)?;
            }
            out.push(b'}');
        }
        (Type::Object(attributes), Value::Object(entries) | Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(encode_error(
                    &loc.attr(extra),
                    "unsupported attribute: the type has no attribute of this name",
                ));
            }
            out.push(b'{');
            for (i, (name, ty)) in attributes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(name, out);
                out.push(b':');
                write_value(entries.get(name).unwrap_or(&Value::Null), ty, &loc.attr(name), depth + 1, out)?;
            }
            out.push(b'}');
        }
        (ty, value) => return Err(encode_error(loc, format!("expected {}, got {}", ty.describe(), value.describe()))),
    }
    Ok(())
}

/// A JSON string literal: quotes, backslashes and control characters escaped, the rest as UTF-8.
pub(crate) fn write_json_string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in text.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..0x20 => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ty() -> Type {
        Type::object([
            ("name", Type::String),
            ("size", Type::Number),
            ("tags", Type::map(Type::String)),
            ("zones", Type::set(Type::String)),
            ("extra", Type::Dynamic),
        ])
    }

    #[test]
    fn reads_and_writes_state_json() {
        let json = br#" { "name" : "web\n\"1\"\u00e9\ud83d\ude00", "size": 12345678901234567890123456789.5,
            "tags": {"b": "2", "a": "1"}, "zones": ["x", "y"],
            "extra": {"type": ["list", "number"], "value": [1e400, -3.5]} } "#;
        let value = Value::from_json(json, &ty()).unwrap();
        assert_eq!(value.get("name").unwrap().as_str(), Some("web\n\"1\"é😀"));
        assert_eq!(value.get("size").unwrap().as_number().unwrap().to_string(), "12345678901234567890123456789.5");
        assert_eq!(
            value.get("extra").unwrap(),
            &Value::list([
                Value::Number(Number::parse("1e400").unwrap()),
                Value::Number(Number::parse("-3.5").unwrap())
            ])
        );
        let written = value.to_json(&ty()).unwrap();
        assert_eq!(
            String::from_utf8(written.clone()).unwrap(),
            r#"{"extra":{"value":[1e400,-3.5],"type":["list","number"]},"name":"web\n\"1\"é😀","size":12345678901234567890123456789.5,"tags":{"a":"1","b":"2"},"zones":["x","y"]}"#
        );
        assert_eq!(Value::from_json(&written, &ty()).unwrap(), value);
        // Our output is JSON that serde_json reads the same (serde_json refuses 1e400: leave it out).
        let small =
            Value::object([("name", value.get("name").unwrap().clone()), ("tags", value.get("tags").unwrap().clone())]);
        let written = small.to_json(&ty()).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(parsed["name"], "web\n\"1\"é😀");
    }

    #[test]
    fn unknown_attributes_strict_and_lenient() {
        let json = br#"{"name": "a", "gone": {"deep": [1, {"x": null}]}}"#;
        let err = Value::from_json(json, &ty()).unwrap_err();
        assert_eq!(err.path, AttributePath::root("gone"));
        assert!(err.to_string().starts_with("decoding value at gone: unsupported attribute"), "{err}");
        let value = Value::from_json_lenient(json, &ty()).unwrap();
        assert_eq!(value.get("name"), Some(&Value::from("a")));
        assert_eq!(value.get("gone"), None);
        assert_eq!(value.get("size"), Some(&Value::Null));
    }

    #[test]
    fn primitives_are_lenient_like_cty() {
        assert_eq!(
            Value::from_json(b"\"12.50\"", &Type::Number).unwrap(),
            Value::Number(Number::parse("12.5").unwrap())
        );
        assert_eq!(Value::from_json(b"\"true\"", &Type::Bool).unwrap(), Value::Bool(true));
        assert_eq!(Value::from_json(b"1.50", &Type::String).unwrap(), Value::from("1.50"));
        assert_eq!(Value::from_json(b"false", &Type::String).unwrap(), Value::from("false"));
        assert_eq!(Value::from_json(b"null", &Type::Dynamic).unwrap(), Value::Null);
    }

    #[test]
    fn malformed_json_is_an_error_with_a_path() {
        let list = Type::object([("a", Type::list(Type::Number))]);
        let err = Value::from_json(br#"{"a": [1, "x"]}"#, &list).unwrap_err();
        assert_eq!(err.path, AttributePath::root("a").index(1));
        for bad in [
            &b""[..],
            b"{",
            b"{\"a\": [1,]}",
            b"{\"a\": [01]}",
            b"{\"a\": [1.]}",
            b"{\"a\": [-]}",
            b"{\"a\" [1]}",
            b"{\"a\": [1]",
            b"{\"a\": [1]} x",
            b"{\"a\": nul}",
            b"{\"a\": [1] \"b\": 2}",
            b"{'a': [1]}",
            b"{\"a\": [1], \"a\": [2]}",
        ] {
            assert!(Value::from_json(bad, &list).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(Value::from_json(b"\"a\x01b\"", &Type::String).is_err());
        assert!(Value::from_json(b"\"\xff\"", &Type::String).is_err());
        assert!(Value::from_json(b"\"\\x\"", &Type::String).is_err());
        assert!(Value::from_json(b"\"\\", &Type::String).is_err());
        assert!(Value::from_json(b"\"\\ud800\"", &Type::String).is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = Value::from_json_lenient(format!("{{\"x\": {deep}}}").as_bytes(), &list).unwrap_err();
        assert!(err.message.contains("deeper"), "{err}");
        let mut deep_ty = Type::String;
        for _ in 0..300 {
            deep_ty = Type::list(deep_ty);
        }
        assert!(Value::from_json(deep.as_bytes(), &deep_ty).is_err());
    }

    proptest::proptest! {
        #[test]
        fn strings_are_escaped_like_serde_json_reads_them(text in proptest::prelude::any::<String>()) {
            let mut out = Vec::new();
            write_json_string(&text, &mut out);
            proptest::prop_assert_eq!(serde_json::from_slice::<String>(&out).unwrap(), text.clone());
            proptest::prop_assert_eq!(Value::from_json(&out, &Type::String).unwrap(), Value::String(text));
        }
    }

    #[test]
    fn unknown_values_cannot_be_written() {
        let value = Value::object([("name", Value::Unknown)]);
        let err = value.to_json(&ty()).unwrap_err();
        assert_eq!(err.path, AttributePath::root("name"));
    }
}
