//! Values in msgpack exactly as Terraform and cty encode them: the wire form of plan and state values.
//!
//! - null is msgpack nil; unknown is extension 0 with a one-byte payload (`d4 00 00`), and on
//!   decoding *any* extension is unknown (Terraform 1.6+ sends refined unknowns as extension 12);
//! - a number is an int when it is an integer fitting `i64`, a float64 when it is a non-integer
//!   that a float carries exactly, otherwise a string holding its decimal text; decoding accepts
//!   any int, uint, float32/64 or numeric string;
//! - lists, sets and tuples are arrays, maps are maps with string keys, objects are maps of all
//!   their attributes (names sorted);
//! - a value of type `Dynamic` is a 2-element array: the type's JSON (as bin) and the value
//!   encoded with that type; null and unknown are written plainly.
//!
//! Decoding never panics, never allocates more than the input can fill and refuses nesting
//! deeper than [`MAX_DEPTH`].

use std::collections::BTreeMap;

use rmp::Marker;
use rmp::encode;

use super::error::{Loc, ValueError, ValueErrorKind};
use super::{MAX_DEPTH, Number, Type, Value};
use crate::diag::AttributePath;

/// What Terraform sends for an unknown value: fixext1, extension type 0, payload 0.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

impl Value {
    /// Decodes msgpack as Terraform sends it (DynamicValue.msgpack) into a value of type `ty`.
    pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
        let mut decoder = Decoder { bytes, pos: 0 };
        let root = AttributePath::empty();
        let loc = Loc::Root(&root);
        let value = decoder.value(ty, &loc, 0)?;
        if decoder.pos != bytes.len() {
            return Err(decode_error(
                &loc,
                format!("{} bytes of unexpected data follow the value", bytes.len() - decoder.pos),
            ));
        }
        Ok(value)
    }

    /// Encodes this value as type `ty` the way cty does. The value must conform to the type
    /// (lists, sets and tuples are interchangeable, so are maps and objects; missing object
    /// attributes are written as null); otherwise the error names the path.
    pub fn to_msgpack(&self, ty: &Type) -> Result<Vec<u8>, ValueError> {
        let mut out = Vec::new();
        let root = AttributePath::empty();
        encode_value(self, ty, &Loc::Root(&root), 0, &mut out)?;
        Ok(out)
    }
}

fn decode_error(loc: &Loc<'_>, message: impl Into<String>) -> ValueError {
    ValueError::at(ValueErrorKind::Decode, loc, message)
}

fn encode_error(loc: &Loc<'_>, message: impl Into<String>) -> ValueError {
    ValueError::at(ValueErrorKind::Encode, loc, message)
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// A phrase naming what a marker starts, for "expected X, got Y".
fn describe(marker: Marker) -> &'static str {
    match marker {
        Marker::Null => "null",
        Marker::True | Marker::False => "a bool",
        Marker::FixPos(_) | Marker::FixNeg(_) | Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => "an integer",
        Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => "an integer",
        Marker::F32 | Marker::F64 => "a float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "a string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary data",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "an array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "a map",
        Marker::FixExt1 | Marker::FixExt2 | Marker::FixExt4 | Marker::FixExt8 | Marker::FixExt16 => "an extension",
        Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => "an extension",
        Marker::Reserved => "the reserved byte 0xc1",
    }
}

fn is_ext(marker: Marker) -> bool {
    matches!(
        marker,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

impl<'a> Decoder<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, loc: &Loc<'_>, what: &str) -> Result<&'a [u8], ValueError> {
        if n > self.remaining() {
            return Err(decode_error(
                loc,
                format!(
                    "the data ends in the middle of {what}: {n} more bytes were expected, {} remain",
                    self.remaining()
                ),
            ));
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn take_array<const N: usize>(&mut self, loc: &Loc<'_>, what: &str) -> Result<[u8; N], ValueError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, loc, what)?);
        Ok(out)
    }

    fn marker(&mut self, loc: &Loc<'_>) -> Result<Marker, ValueError> {
        let byte = self.take_array::<1>(loc, "a value")?;
        Ok(Marker::from_u8(byte[0]))
    }

    /// The length that follows a str/bin/array/map/ext marker (or is in it).
    fn length(&mut self, marker: Marker, loc: &Loc<'_>) -> Result<usize, ValueError> {
        let len = match marker {
            Marker::FixStr(n) | Marker::FixArray(n) | Marker::FixMap(n) => u32::from(n),
            Marker::Str8 | Marker::Bin8 | Marker::Ext8 => u32::from(self.take_array::<1>(loc, "a length")?[0]),
            Marker::Str16 | Marker::Bin16 | Marker::Ext16 | Marker::Array16 | Marker::Map16 => {
                u32::from(u16::from_be_bytes(self.take_array::<2>(loc, "a length")?))
            }
            Marker::Str32 | Marker::Bin32 | Marker::Ext32 | Marker::Array32 | Marker::Map32 => {
                u32::from_be_bytes(self.take_array::<4>(loc, "a length")?)
            }
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            _ => 0,
        };
        Ok(usize::try_from(len).unwrap_or(usize::MAX))
    }

    fn value(&mut self, ty: &Type, loc: &Loc<'_>, depth: usize) -> Result<Value, ValueError> {
        if depth > MAX_DEPTH {
            return Err(decode_error(loc, format!("the value nests deeper than {MAX_DEPTH} levels")));
        }
        let marker = self.marker(loc)?;
        if is_ext(marker) {
            // Every extension is an unknown value: type 0 plain, type 12 with refinements.
            let len = self.length(marker, loc)?;
            self.take(len.saturating_add(1), loc, "an unknown value")?;
            return Ok(Value::Unknown);
        }
        if let Type::Dynamic = ty {
            return self.dynamic(marker, loc, depth);
        }
        if marker == Marker::Null {
            return Ok(Value::Null);
        }
        let mismatch =
            |marker: Marker| decode_error(loc, format!("expected {}, got {}", ty.describe(), describe(marker)));
        match ty {
            Type::Bool => match marker {
                Marker::True => Ok(Value::Bool(true)),
                Marker::False => Ok(Value::Bool(false)),
                other => Err(mismatch(other)),
            },
            Type::Number => self.number(marker, loc).map(Value::Number),
            Type::String => match marker {
                Marker::FixStr(_)
                | Marker::Str8
                | Marker::Str16
                | Marker::Str32
                | Marker::Bin8
                | Marker::Bin16
                | Marker::Bin32 => self.string_body(marker, loc).map(|text| Value::String(text.to_owned())),
                other => Err(mismatch(other)),
            },
            Type::List(element) | Type::Set(element) => {
                let len = match marker {
                    Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => self.length(marker, loc)?,
                    other => return Err(mismatch(other)),
                };
                // Each element takes at least a byte: never reserve more than the input can fill.
                let mut items = Vec::with_capacity(len.min(self.remaining()));
                for i in 0..len {
                    items.push(self.value(element, &loc.index(i), depth + 1)?);
                }
                Ok(if matches!(ty, Type::Set(_)) { Value::Set(items) } else { Value::List(items) })
            }
            Type::Tuple(types) => {
                let len = match marker {
                    Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => self.length(marker, loc)?,
                    other => return Err(mismatch(other)),
                };
                if len != types.len() {
                    return Err(decode_error(
                        loc,
                        format!("expected a tuple of {} elements, got an array of {len}", types.len()),
                    ));
                }
                let items = types
                    .iter()
                    .enumerate()
                    .map(|(i, ty)| self.value(ty, &loc.index(i), depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Tuple(items))
            }
            Type::Map(element) => {
                let len = match marker {
                    Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => self.length(marker, loc)?,
                    other => return Err(mismatch(other)),
                };
                let mut entries = BTreeMap::new();
                for _ in 0..len {
                    let key = self.key(loc, "map key")?;
                    let item = self.value(element, &loc.key(key), depth + 1)?;
                    if entries.insert(key.to_owned(), item).is_some() {
                        return Err(decode_error(&loc.key(key), "the map has this key twice"));
                    }
                }
                Ok(Value::Map(entries))
            }
            Type::Object(attributes) => {
                let len = match marker {
                    Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => self.length(marker, loc)?,
                    other => return Err(mismatch(other)),
                };
                let mut entries = BTreeMap::new();
                for _ in 0..len {
                    let name = self.key(loc, "attribute name")?;
                    let Some(attribute_type) = attributes.get(name) else {
                        return Err(decode_error(
                            &loc.attr(name),
                            "unsupported attribute: the schema has no attribute of this name",
                        ));
                    };
                    let item = self.value(attribute_type, &loc.attr(name), depth + 1)?;
                    if entries.insert(name.to_owned(), item).is_some() {
                        return Err(decode_error(&loc.attr(name), "the object has this attribute twice"));
                    }
                }
                for name in attributes.keys() {
                    if !entries.contains_key(name) {
                        entries.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(entries))
            }
            Type::Dynamic => Err(mismatch(marker)),
        }
    }

    /// A map key or attribute name: a msgpack string.
    fn key(&mut self, loc: &Loc<'_>, what: &str) -> Result<&'a str, ValueError> {
        let marker = self.marker(loc)?;
        match marker {
            Marker::FixStr(_)
            | Marker::Str8
            | Marker::Str16
            | Marker::Str32
            | Marker::Bin8
            | Marker::Bin16
            | Marker::Bin32 => self.string_body(marker, loc),
            other => Err(decode_error(loc, format!("expected a string as {what}, got {}", describe(other)))),
        }
    }

    fn string_body(&mut self, marker: Marker, loc: &Loc<'_>) -> Result<&'a str, ValueError> {
        let len = self.length(marker, loc)?;
        let bytes = self.take(len, loc, "a string")?;
        std::str::from_utf8(bytes).map_err(|err| decode_error(loc, format!("the string is not valid UTF-8 ({err})")))
    }

    fn number(&mut self, marker: Marker, loc: &Loc<'_>) -> Result<Number, ValueError> {
        let what = "a number";
        let number = match marker {
            Marker::FixPos(n) => Number::from(u32::from(n)),
            Marker::FixNeg(n) => Number::from(i32::from(n)),
            Marker::U8 => Number::from(u32::from(self.take_array::<1>(loc, what)?[0])),
            Marker::U16 => Number::from(u32::from(u16::from_be_bytes(self.take_array(loc, what)?))),
            Marker::U32 => Number::from(u32::from_be_bytes(self.take_array(loc, what)?)),
            Marker::U64 => Number::from(u64::from_be_bytes(self.take_array(loc, what)?)),
            Marker::I8 => Number::from(i32::from(i8::from_be_bytes(self.take_array(loc, what)?))),
            Marker::I16 => Number::from(i32::from(i16::from_be_bytes(self.take_array(loc, what)?))),
            Marker::I32 => Number::from(i32::from_be_bytes(self.take_array(loc, what)?)),
            Marker::I64 => Number::from(i64::from_be_bytes(self.take_array(loc, what)?)),
            Marker::F32 => {
                let value = f32::from_be_bytes(self.take_array(loc, what)?);
                Number::from_f32(value)
                    .ok_or_else(|| decode_error(loc, format!("{value} is not a number Terraform can hold")))?
            }
            Marker::F64 => {
                let value = f64::from_be_bytes(self.take_array(loc, what)?);
                Number::from_f64(value)
                    .ok_or_else(|| decode_error(loc, format!("{value} is not a number Terraform can hold")))?
            }
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                let text = self.string_body(marker, loc)?;
                Number::parse(text).map_err(|err| decode_error(loc, err.message))?
            }
            other => return Err(decode_error(loc, format!("expected a number, got {}", describe(other)))),
        };
        Ok(number)
    }

    /// `[type JSON, value]`, or nil for null.
    fn dynamic(&mut self, marker: Marker, loc: &Loc<'_>, depth: usize) -> Result<Value, ValueError> {
        let len = match marker {
            Marker::Null => return Ok(Value::Null),
            Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => self.length(marker, loc)?,
            other => {
                return Err(decode_error(
                    loc,
                    format!("expected a dynamic value (an array of its type and value), got {}", describe(other)),
                ));
            }
        };
        if len != 2 {
            return Err(decode_error(
                loc,
                format!("a dynamic value must be an array of 2 elements (type and value), got {len}"),
            ));
        }
        let type_marker = self.marker(loc)?;
        let type_json = match type_marker {
            Marker::FixStr(_)
            | Marker::Str8
            | Marker::Str16
            | Marker::Str32
            | Marker::Bin8
            | Marker::Bin16
            | Marker::Bin32 => {
                let len = self.length(type_marker, loc)?;
                self.take(len, loc, "a dynamic value's type")?
            }
            other => {
                return Err(decode_error(
                    loc,
                    format!("expected a dynamic value's type as JSON bytes, got {}", describe(other)),
                ));
            }
        };
        let ty = Type::from_json(type_json)
            .map_err(|err| decode_error(loc, format!("a dynamic value has an invalid type: {err}")))?;
        self.value(&ty, loc, depth + 1)
    }
}

fn encode_value(value: &Value, ty: &Type, loc: &Loc<'_>, depth: usize, out: &mut Vec<u8>) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(encode_error(loc, format!("the value nests deeper than {MAX_DEPTH} levels")));
    }
    let mismatch = || encode_error(loc, format!("expected {}, got {}", ty.describe(), value.describe()));
    match (ty, value) {
        (_, Value::Unknown) => out.extend_from_slice(&UNKNOWN),
        (_, Value::Null) => out.push(0xc0),
        (Type::Dynamic, value) => {
            let actual = value.inferred_type();
            out.push(0x92);
            let type_json = actual.to_json_bytes();
            write_len(encode::write_bin_len(out, len_u32(type_json.len(), loc)?), loc)?;
            out.extend_from_slice(&type_json);
            encode_value(value, &actual, loc, depth + 1, out)?;
        }
        (Type::Bool, Value::Bool(b)) => out.push(if *b { 0xc3 } else { 0xc2 }),
        (Type::Number, Value::Number(number)) => {
            if let Some(int) = number.as_i64() {
                write_len(encode::write_sint(out, int), loc)?;
            } else if let Some(float) = number.exact_f64() {
                write_len(encode::write_f64(out, float), loc)?;
            } else {
                write_str(&number.to_string(), loc, out)?;
            }
        }
        (Type::String, Value::String(text)) => write_str(text, loc, out)?,
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            write_len(encode::write_array_len(out, len_u32(items.len(), loc)?), loc)?;
            for (i, item) in items.iter().enumerate() {
                encode_value(item, element, &loc.index(i), depth + 1, out)?;
            }
        }
        (Type::Tuple(types), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            if items.len() != types.len() {
                return Err(encode_error(
                    loc,
                    format!("expected a tuple of {} elements, got {} elements", types.len(), items.len()),
                ));
            }
            write_len(encode::write_array_len(out, len_u32(items.len(), loc)?), loc)?;
            for (i, (item, ty)) in items.iter().zip(types).enumerate() {
                encode_value(item, ty, &loc.index(i), depth + 1, out)?;
            }
        }
        (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
            write_len(encode::write_map_len(out, len_u32(entries.len(), loc)?), loc)?;
            for (key, item) in entries {
                write_str(key, loc, out)?;
                encode_value(item, element, &loc.key(key), depth + 1, out)?;
            }
        }
        (Type::Object(attributes), Value::Object(entries) | Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(encode_error(
                    &loc.attr(extra),
                    "unsupported attribute: the type has no attribute of this name",
                ));
            }
            write_len(encode::write_map_len(out, len_u32(attributes.len(), loc)?), loc)?;
            for (name, ty) in attributes {
                write_str(name, loc, out)?;
                encode_value(entries.get(name).unwrap_or(&Value::Null), ty, &loc.attr(name), depth + 1, out)?;
            }
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

fn len_u32(len: usize, loc: &Loc<'_>) -> Result<u32, ValueError> {
    u32::try_from(len).map_err(|_| encode_error(loc, format!("{len} is too long for msgpack")))
}

/// Writing into a `Vec` cannot fail; this keeps the signature honest without unwrapping.
fn write_len<T, E: std::fmt::Debug>(result: Result<T, E>, loc: &Loc<'_>) -> Result<(), ValueError> {
    result.map(|_| ()).map_err(|err| encode_error(loc, format!("writing msgpack failed: {err:?}")))
}

fn write_str(text: &str, loc: &Loc<'_>, out: &mut Vec<u8>) -> Result<(), ValueError> {
    write_len(encode::write_str_len(out, len_u32(text.len(), loc)?), loc)?;
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn n(text: &str) -> Value {
        Value::Number(Number::parse(text).unwrap())
    }

    #[test]
    fn hand_checked_bytes() {
        assert_eq!(Value::Unknown.to_msgpack(&Type::String).unwrap(), [0xd4, 0x00, 0x00]);
        assert_eq!(Value::Null.to_msgpack(&Type::String).unwrap(), [0xc0]);
        assert_eq!(Value::Bool(true).to_msgpack(&Type::Bool).unwrap(), [0xc3]);
        let object = Value::object([("a", Value::from("x"))]);
        let ty = Type::object([("a", Type::String)]);
        assert_eq!(object.to_msgpack(&ty).unwrap(), [0x81, 0xa1, b'a', 0xa1, b'x']);
        assert_eq!(Value::from_msgpack(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap(), object);
        assert_eq!(Value::from(1).to_msgpack(&Type::Number).unwrap(), [0x01]);
        assert_eq!(Value::from(-1).to_msgpack(&Type::Number).unwrap(), [0xff]);
        assert_eq!(Value::from(300).to_msgpack(&Type::Number).unwrap(), [0xcd, 0x01, 0x2c]);
        assert_eq!(n("-3.5").to_msgpack(&Type::Number).unwrap(), [0xcb, 0xc0, 0x0c, 0, 0, 0, 0, 0, 0]);
        let big = n("12345678901234567890123456789");
        let mut expected = vec![0xbd];
        expected.extend_from_slice(b"12345678901234567890123456789");
        assert_eq!(big.to_msgpack(&Type::Number).unwrap(), expected);
        assert_eq!(Value::from_msgpack(&expected, &Type::Number).unwrap(), big);
        assert_eq!(n("0.1").to_msgpack(&Type::Number).unwrap(), [0xa3, b'0', b'.', b'1']);
        assert_eq!(
            Value::list([Value::from("a"), Value::Null]).to_msgpack(&Type::list(Type::String)).unwrap(),
            [0x92, 0xa1, b'a', 0xc0]
        );
        assert_eq!(
            Value::map([("k", Value::from(true))]).to_msgpack(&Type::map(Type::Bool)).unwrap(),
            [0x81, 0xa1, b'k', 0xc3]
        );
    }

    #[test]
    fn every_extension_is_unknown() {
        assert_eq!(Value::from_msgpack(&[0xd4, 0x00, 0x00], &Type::String).unwrap(), Value::Unknown);
        // A refined unknown: extension 12 with a payload (here a map {1: true}).
        assert_eq!(Value::from_msgpack(&[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3], &Type::String).unwrap(), Value::Unknown);
        assert_eq!(Value::from_msgpack(&[0xd5, 0x0c, 0x00, 0x00], &Type::list(Type::Number)).unwrap(), Value::Unknown);
        assert_eq!(Value::from_msgpack(&[0xd4, 0x00, 0x00], &Type::Dynamic).unwrap(), Value::Unknown);
    }

    #[test]
    fn numbers_decode_from_every_form() {
        let cases: &[(&[u8], &str)] = &[
            (&[0x05], "5"),
            (&[0xe0], "-32"),
            (&[0xcc, 0xff], "255"),
            (&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "18446744073709551615"),
            (&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], "-9223372036854775808"),
            (&[0xca, 0x3f, 0xc0, 0x00, 0x00], "1.5"),
            (&[0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a], "0.1"),
            (&[0xa5, b'1', b'e', b'4', b'0', b'0'], "1e400"),
        ];
        for (bytes, text) in cases {
            assert_eq!(Value::from_msgpack(bytes, &Type::Number).unwrap(), n(text), "{text}");
        }
        let err = Value::from_msgpack(&[0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], &Type::Number).unwrap_err();
        assert_eq!(err.to_string(), "decoding value: inf is not a number Terraform can hold");
        assert!(Value::from_msgpack(&[0xa3, b'a', b'b', b'c'], &Type::Number).is_err());
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let value = Value::from("hi");
        let bytes = value.to_msgpack(&Type::Dynamic).unwrap();
        let mut expected = vec![0x92, 0xc4, 8];
        expected.extend_from_slice(b"\"string\"");
        expected.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(bytes, expected);
        assert_eq!(Value::from_msgpack(&bytes, &Type::Dynamic).unwrap(), value);
        // The type may also come as a str.
        let mut as_str = vec![0x92, 0xa8];
        as_str.extend_from_slice(b"\"string\"");
        as_str.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(Value::from_msgpack(&as_str, &Type::Dynamic).unwrap(), value);
        assert_eq!(Value::Unknown.to_msgpack(&Type::Dynamic).unwrap(), [0xd4, 0, 0]);
        assert_eq!(Value::Null.to_msgpack(&Type::Dynamic).unwrap(), [0xc0]);
        let mixed = Value::list([Value::from("a"), Value::from(1)]);
        let decoded = Value::from_msgpack(&mixed.to_msgpack(&Type::Dynamic).unwrap(), &Type::Dynamic).unwrap();
        assert_eq!(decoded, Value::tuple([Value::from("a"), Value::from(1)]));
        let list = Value::list([Value::from("a"), Value::Null, Value::Unknown]);
        assert_eq!(list.inferred_type(), Type::list(Type::String));
        assert_eq!(Value::from_msgpack(&list.to_msgpack(&Type::Dynamic).unwrap(), &Type::Dynamic).unwrap(), list);
    }

    #[test]
    fn objects_fill_missing_and_refuse_unknown_attributes() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        assert_eq!(
            Value::from_msgpack(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap(),
            Value::object([("a", Value::from("x")), ("b", Value::Null)])
        );
        let err = Value::from_msgpack(&[0x81, 0xa1, b'z', 0xa1, b'x'], &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::root("z"));
        let nested = Type::object([("scaling", Type::list(Type::object([("min_size", Type::Number)])))]);
        let bytes = [
            0x81, 0xa7, b's', b'c', b'a', b'l', b'i', b'n', b'g', 0x91, 0x81, 0xa8, b'm', b'i', b'n', b'_', b's', b'i',
            b'z', b'e', 0xc3,
        ];
        let err = Value::from_msgpack(&bytes, &nested).unwrap_err();
        assert_eq!(err.to_string(), "decoding value at scaling[0].min_size: expected a number, got a bool");
        assert_eq!(Value::object([("c", Value::Null)]).to_msgpack(&ty).unwrap_err().path, AttributePath::root("c"));
        // Missing attributes are written as null, in name order.
        assert_eq!(
            Value::object([("b", Value::from(1))]).to_msgpack(&ty).unwrap(),
            [0x82, 0xa1, b'a', 0xc0, 0xa1, b'b', 0x01]
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let ty = Type::object([("a", Type::list(Type::String))]);
        // Truncated everywhere.
        let good = Value::object([("a", Value::list([Value::from("xyz")]))]).to_msgpack(&ty).unwrap();
        for cut in 0..good.len() {
            assert!(Value::from_msgpack(&good[..cut], &ty).is_err(), "cut at {cut}");
        }
        // A length prefix of 4 billion with nothing behind it.
        let err = Value::from_msgpack(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::String)).unwrap_err();
        assert!(err.message.contains("ends in the middle"), "{err}");
        assert!(Value::from_msgpack(&[0xdf, 0xff, 0xff, 0xff, 0xff], &Type::map(Type::String)).is_err());
        assert!(Value::from_msgpack(&[0xdb, 0xff, 0xff, 0xff, 0xff], &Type::String).is_err());
        assert!(Value::from_msgpack(&[0xc9, 0xff, 0xff, 0xff, 0xff, 0x00], &Type::String).is_err());
        // Invalid UTF-8, with the path.
        let err = Value::from_msgpack(&[0x81, 0xa1, b'a', 0x91, 0xa2, 0xff, 0xfe], &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::root("a").index(0));
        assert!(err.message.contains("UTF-8"), "{err}");
        // Deep nesting through dynamic values.
        let mut deep = Vec::new();
        let list_of_dynamic = br#"["list","dynamic"]"#;
        for _ in 0..1000 {
            deep.extend_from_slice(&[0x92, 0xc4, list_of_dynamic.len() as u8]);
            deep.extend_from_slice(list_of_dynamic);
            deep.push(0x91);
        }
        deep.push(0xc0);
        let err = Value::from_msgpack(&deep, &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("deeper"), "{err}");
        assert!(err.path.steps.len() > 100);
        // Wrong types, the reserved byte, trailing bytes.
        assert!(Value::from_msgpack(&[0xc1], &Type::String).is_err());
        assert!(Value::from_msgpack(&[0xa1, b'a', 0x00], &Type::String).is_err());
        assert!(Value::from_msgpack(&[], &Type::String).is_err());
        assert!(Value::from_msgpack(&[0x93, 0x01, 0x02, 0x03], &Type::tuple([Type::Number])).is_err());
        assert!(Value::from_msgpack(&[0x92, 0xc4, 0x03, b'b', b'a', b'd', 0xc0], &Type::Dynamic).is_err());
    }

    #[test]
    fn encoding_refuses_mismatches_with_paths() {
        let ty = Type::object([("tags", Type::map(Type::Number))]);
        let value = Value::object([("tags", Value::map([("k", Value::from("x"))]))]);
        let err = value.to_msgpack(&ty).unwrap_err();
        assert_eq!(err.to_string(), "encoding value at tags[\"k\"]: expected a number, got a string");
    }
}
