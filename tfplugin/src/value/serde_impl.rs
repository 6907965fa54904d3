//! The serde bridge: typed Rust models to and from `Value` (`to_value`, `from_value`), and serde impls for `Value` and `Number`.
//!
//! Mapping: structs ⇄ objects, sequences ⇄ lists (sets and tuples also read as sequences; Rust
//! tuples write as tuples), string-keyed maps ⇄ maps (objects also read as maps), `None` and `()`
//! ⇄ null, integers and floats ⇄ numbers, unit enum variants ⇄ strings, other variants ⇄ a
//! one-attribute object `{variant: content}`.
//!
//! Null and unknown both read as `None` for `Option` fields: typed models see an unknown as
//! absent (and so do self-describing targets such as `serde_json::Value`, `#[serde(flatten)]`
//! and untagged enums, which see `None`). Any other field receiving null or unknown is an error
//! naming its path. Code that must
//! tell unknown from null types the field as [`Value`] (it receives the raw sub-value, unknown
//! included) or works with `Value` directly. A field typed [`Number`] keeps full precision.
//!
//! How `Value` and `Number` fields pass through exactly: their serde impls use a private newtype
//! name that this module's serializer and deserializer recognize. A `Number` travels as its
//! decimal text. A `Value` is handed over through a thread-local slot (serde's data model cannot
//! carry it otherwise), which costs one clone of the sub-value. With other formats (serde_json…)
//! `Value` and `Number` serialize as plain data: unknown becomes null, and numbers that don't fit
//! an `i64` become their decimal text.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};

use super::error::{ValueError, ValueErrorKind};
use super::{Number, Value};
use crate::diag::{AttributePath, PathStep};

const NUMBER_TOKEN: &str = "$tfplugin::private::Number";
const VALUE_TOKEN: &str = "$tfplugin::private::Value";
const VALUE_HANDOFF: &[u8] = b"$tfplugin::private::Value::handoff";

thread_local! {
    /// A `Value` in transit between `Value`'s serde impls and this module's (de)serializer.
    static HANDOFF: RefCell<Option<Value>> = const { RefCell::new(None) };
}

fn handoff_put(value: Value) {
    HANDOFF.with(|slot| *slot.borrow_mut() = Some(value));
}

fn handoff_take() -> Option<Value> {
    HANDOFF.with(|slot| slot.borrow_mut().take())
}

/// Turns a typed model into a value. Errors name the path of the failing field.
pub fn to_value<T: Serialize + ?Sized>(model: &T) -> Result<Value, ValueError> {
    model.serialize(ValueSerializer)
}

/// Reads a typed model out of a value. Errors name the path of the failing field.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, ValueError> {
    T::deserialize(ValueDeserializer { value })
}

fn deserialize_error(message: impl Into<String>) -> ValueError {
    ValueError::new(ValueErrorKind::Deserialize, AttributePath::empty(), message)
}

fn serialize_error(message: impl Into<String>) -> ValueError {
    ValueError::new(ValueErrorKind::Serialize, AttributePath::empty(), message)
}

fn index_step(index: usize) -> PathStep {
    PathStep::Index(i64::try_from(index).unwrap_or(i64::MAX))
}

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        deserialize_error(msg.to_string())
    }
}

impl ser::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        serialize_error(msg.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Value -> model

struct ValueDeserializer<'de> {
    value: &'de Value,
}

impl<'de> ValueDeserializer<'de> {
    fn expected(&self, what: &str) -> ValueError {
        deserialize_error(format!("expected {what}, got {}", self.value.describe()))
    }

    fn integer<T: TryFrom<i128>>(&self, what: &str) -> Result<T, ValueError> {
        let Value::Number(number) = self.value else { return Err(self.expected("a number")) };
        if !number.is_integer() {
            return Err(deserialize_error(format!("expected an integer, got {number}")));
        }
        number
            .as_i128()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| deserialize_error(format!("{number} does not fit {what}")))
    }

    fn u128(&self) -> Result<u128, ValueError> {
        let Value::Number(number) = self.value else { return Err(self.expected("a number")) };
        if !number.is_integer() || number.is_negative() {
            return Err(deserialize_error(format!("expected a non-negative integer, got {number}")));
        }
        number
            .as_i128()
            .and_then(|n| u128::try_from(n).ok())
            .or_else(|| number.to_string().parse::<u128>().ok())
            .ok_or_else(|| deserialize_error(format!("{number} does not fit u128")))
    }

    fn float(&self) -> Result<f64, ValueError> {
        match self.value {
            Value::Number(number) => Ok(number.as_f64()),
            _ => Err(self.expected("a number")),
        }
    }
}

macro_rules! deserialize_integer {
    ($($method:ident $visit:ident $ty:ty),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
                let value: $ty = self.integer(stringify!($ty))?;
                visitor.$visit(value)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            // Self-describing targets (serde_json::Value, flatten, untagged) see unknown as absent.
            Value::Unknown => visitor.visit_none(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(number) => {
                if let Some(int) = number.as_i64() {
                    visitor.visit_i64(int)
                } else if let Some(uint) = number.as_u64() {
                    visitor.visit_u64(uint)
                } else {
                    visitor.visit_f64(number.as_f64())
                }
            }
            Value::String(text) => visitor.visit_borrowed_str(text),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => visit_seq(items, visitor),
            Value::Map(entries) => visit_map(entries, false, visitor),
            Value::Object(entries) => visit_map(entries, true, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => Err(self.expected("a bool")),
        }
    }

    deserialize_integer! {
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_u128(self.u128()?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        #[allow(clippy::cast_possible_truncation)]
        let value = self.float()? as f32;
        visitor.visit_f32(value)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_f64(self.float()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::String(text) => {
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => visitor.visit_char(c),
                    _ => Err(deserialize_error(format!("expected a single character, got {text:?}"))),
                }
            }
            _ => Err(self.expected("a string")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::String(text) => visitor.visit_borrowed_str(text),
            _ => Err(self.expected("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::String(text) => visitor.visit_borrowed_bytes(text.as_bytes()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::Null | Value::Unknown => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => Err(self.expected("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match name {
            VALUE_TOKEN => {
                handoff_put(self.value.clone());
                let result = visitor.visit_borrowed_bytes(VALUE_HANDOFF);
                handoff_take();
                result
            }
            NUMBER_TOKEN => match self.value {
                Value::Number(number) => match number.as_i64() {
                    Some(int) => visitor.visit_i64(int),
                    None => visitor.visit_string(number.to_string()),
                },
                _ => Err(self.expected("a number")),
            },
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => visit_seq(items, visitor),
            _ => Err(self.expected("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::Map(entries) => visit_map(entries, false, visitor),
            Value::Object(entries) => visit_map(entries, true, visitor),
            _ => Err(self.expected("a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.value {
            Value::Object(entries) => visit_map(entries, true, visitor),
            Value::Map(entries) => visit_map(entries, false, visitor),
            _ => Err(self.expected("an object")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.value {
            Value::String(variant) => visitor.visit_enum(variant.as_str().into_deserializer()),
            Value::Object(entries) | Value::Map(entries) if entries.len() == 1 => {
                let step = |name: &str| {
                    if matches!(self.value, Value::Object(_)) {
                        PathStep::Attr(name.to_owned())
                    } else {
                        PathStep::Key(name.to_owned())
                    }
                };
                match entries.iter().next() {
                    Some((variant, content)) => {
                        visitor.visit_enum(EnumAccess { variant, content }).map_err(|err| err.within(step(variant)))
                    }
                    None => Err(self.expected("an enum variant")),
                }
            }
            _ => Err(self.expected("a string or an object of one attribute (an enum variant)")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }
}

fn visit_seq<'de, V: Visitor<'de>>(items: &'de [Value], visitor: V) -> Result<V::Value, ValueError> {
    let mut access = SeqAccess { items: items.iter(), index: 0 };
    let value = visitor.visit_seq(&mut access)?;
    let left = access.items.len();
    if left > 0 {
        return Err(deserialize_error(format!("{left} more elements than expected")));
    }
    Ok(value)
}

fn visit_map<'de, V: Visitor<'de>>(
    entries: &'de BTreeMap<String, Value>,
    is_object: bool,
    visitor: V,
) -> Result<V::Value, ValueError> {
    visitor.visit_map(MapAccess { entries: entries.iter(), current: None, is_object })
}

struct SeqAccess<'de> {
    items: std::slice::Iter<'de, Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ValueError> {
        let Some(value) = self.items.next() else { return Ok(None) };
        let index = self.index;
        self.index += 1;
        seed.deserialize(ValueDeserializer { value }).map(Some).map_err(|err| err.within(index_step(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'de> {
    entries: std::collections::btree_map::Iter<'de, String, Value>,
    current: Option<(&'de String, &'de Value)>,
    is_object: bool,
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ValueError> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        self.current = Some((key, value));
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, ValueError> {
        let Some((key, value)) = self.current.take() else {
            return Err(deserialize_error("a map value was asked for before its key"));
        };
        let step = if self.is_object { PathStep::Attr(key.clone()) } else { PathStep::Key(key.clone()) };
        seed.deserialize(ValueDeserializer { value }).map_err(|err| err.within(step))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct EnumAccess<'de> {
    variant: &'de str,
    content: &'de Value,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'de> {
    type Error = ValueError;
    type Variant = ValueDeserializer<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), ValueError> {
        let variant = seed.deserialize(de::value::BorrowedStrDeserializer::<ValueError>::new(self.variant))?;
        Ok((variant, ValueDeserializer { value: self.content }))
    }
}

impl<'de> de::VariantAccess<'de> for ValueDeserializer<'de> {
    type Error = ValueError;

    fn unit_variant(self) -> Result<(), ValueError> {
        match self.value {
            Value::Null => Ok(()),
            _ => Err(self.expected("null for a unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, ValueError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, ValueError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

// ---------------------------------------------------------------------------------------------
// model -> Value

struct ValueSerializer;

fn number_value(number: Option<Number>, what: impl fmt::Display) -> Result<Value, ValueError> {
    number.map(Value::Number).ok_or_else(|| serialize_error(format!("{what} is not a number Terraform can hold")))
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SerializeList;
    type SerializeTuple = SerializeList;
    type SerializeTupleStruct = SerializeList;
    type SerializeTupleVariant = SerializeVariant<SerializeList>;
    type SerializeMap = SerializeMap;
    type SerializeStruct = SerializeObject;
    type SerializeStructVariant = SerializeVariant<SerializeObject>;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        Ok(Value::Number(Number::from_i128(v)))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        Ok(Value::Number(Number::from_u128(v)))
    }

    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        number_value(Number::from_f32(v), v)
    }

    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        number_value(Number::from_f64(v), v)
    }

    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::List(v.iter().map(|b| Value::from(i64::from(*b))).collect()))
    }

    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::from(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        match name {
            VALUE_TOKEN => match handoff_take() {
                Some(value) => Ok(value),
                None => value.serialize(self),
            },
            NUMBER_TOKEN => match value.serialize(self)? {
                Value::String(text) => {
                    Number::parse(&text).map(Value::Number).map_err(|err| serialize_error(err.message))
                }
                other => Ok(other),
            },
            _ => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        let content = value.serialize(self).map_err(|err| err.within(PathStep::Attr(variant.to_owned())))?;
        Ok(Value::object([(variant, content)]))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SerializeList, ValueError> {
        Ok(SerializeList { items: Vec::with_capacity(len.unwrap_or(0).min(4096)), tuple: false })
    }

    fn serialize_tuple(self, len: usize) -> Result<SerializeList, ValueError> {
        Ok(SerializeList { items: Vec::with_capacity(len.min(4096)), tuple: true })
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SerializeList, ValueError> {
        self.serialize_tuple(len)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SerializeVariant<SerializeList>, ValueError> {
        Ok(SerializeVariant { variant, inner: self.serialize_tuple(len)? })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<SerializeMap, ValueError> {
        Ok(SerializeMap { entries: BTreeMap::new(), key: None })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<SerializeObject, ValueError> {
        Ok(SerializeObject { attributes: BTreeMap::new() })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<SerializeVariant<SerializeObject>, ValueError> {
        Ok(SerializeVariant { variant, inner: SerializeObject { attributes: BTreeMap::new() } })
    }
}

struct SerializeList {
    items: Vec<Value>,
    tuple: bool,
}

impl SerializeList {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let index = self.items.len();
        self.items.push(value.serialize(ValueSerializer).map_err(|err| err.within(index_step(index)))?);
        Ok(())
    }

    fn finish(self) -> Value {
        if self.tuple { Value::Tuple(self.items) } else { Value::List(self.items) }
    }
}

impl ser::SerializeSeq for SerializeList {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SerializeList {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SerializeList {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

struct SerializeVariant<S> {
    variant: &'static str,
    inner: S,
}

impl ser::SerializeTupleVariant for SerializeVariant<SerializeList> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.inner.push(value).map_err(|err| err.within(PathStep::Attr(self.variant.to_owned())))
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::object([(self.variant, self.inner.finish())]))
    }
}

impl ser::SerializeStructVariant for SerializeVariant<SerializeObject> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ValueError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
            .map_err(|err| err.within(PathStep::Attr(self.variant.to_owned())))
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::object([(self.variant, Value::Object(self.inner.attributes))]))
    }
}

struct SerializeObject {
    attributes: BTreeMap<String, Value>,
}

impl ser::SerializeStruct for SerializeObject {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ValueError> {
        let value = value.serialize(ValueSerializer).map_err(|err| err.within(PathStep::Attr(key.to_owned())))?;
        self.attributes.insert(key.to_owned(), value);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Object(self.attributes))
    }
}

struct SerializeMap {
    entries: BTreeMap<String, Value>,
    key: Option<String>,
}

impl ser::SerializeMap for SerializeMap {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        let key = match key.serialize(ValueSerializer)? {
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            Value::Bool(b) => b.to_string(),
            other => return Err(serialize_error(format!("map keys must be strings, got {}", other.describe()))),
        };
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let Some(key) = self.key.take() else {
            return Err(serialize_error("a map value was given before its key"));
        };
        let value = value.serialize(ValueSerializer).map_err(|err| err.within(PathStep::Key(key.clone())))?;
        self.entries.insert(key, value);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Map(self.entries))
    }
}

// ---------------------------------------------------------------------------------------------
// serde impls for Value and Number

/// With [`to_value`] the value passes through unchanged. With other formats: null and unknown
/// are null (unit), lists, sets and tuples are sequences, maps and objects are maps.
impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        handoff_put(self.clone());
        let result = serializer.serialize_newtype_struct(VALUE_TOKEN, &PlainValue(self));
        handoff_take();
        result
    }
}

/// A `Value` as plain serde data, for formats other than ours.
struct PlainValue<'a>(&'a Value);

impl Serialize for PlainValue<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap as _, SerializeSeq as _};
        match self.0 {
            Value::Null | Value::Unknown => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(number) => number.serialize(serializer),
            Value::String(text) => serializer.serialize_str(text),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&PlainValue(item))?;
                }
                seq.end()
            }
            Value::Map(entries) | Value::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, item) in entries {
                    map.serialize_entry(key, &PlainValue(item))?;
                }
                map.end()
            }
        }
    }
}

/// With [`from_value`] a `Value` field receives the raw sub-value, unknown included. With other
/// formats: null is null, sequences are lists, maps are objects.
impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Value, E> {
        if bytes == VALUE_HANDOFF
            && let Some(value) = handoff_take()
        {
            return Ok(value);
        }
        Err(E::invalid_type(de::Unexpected::Bytes(bytes), &self))
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Number(Number::from_i128(v)))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Number(Number::from_u128(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("{v} is not a number Terraform can hold")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        de::Deserialize::deserialize(deserializer)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = BTreeMap::new();
        while let Some((key, item)) = map.next_entry::<String, Value>()? {
            entries.insert(key, item);
        }
        Ok(Value::Object(entries))
    }
}

/// Integers that fit an `i64` serialize as one; other numbers as their decimal text (which
/// [`to_value`] turns back into the exact number).
impl Serialize for Number {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_i64() {
            Some(int) => serializer.serialize_i64(int),
            None => serializer.serialize_newtype_struct(NUMBER_TOKEN, &self.to_string()),
        }
    }
}

/// Reads integers, floats (finite) and decimal text; exact with [`from_value`].
impl<'de> de::Deserialize<'de> for Number {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(NUMBER_TOKEN, NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Number, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Number, E> {
        Ok(Number::from_i128(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Number, E> {
        Ok(Number::from_u128(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        Number::from_f64(v).ok_or_else(|| E::custom(format!("{v} is not a number Terraform can hold")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
        Number::parse(v).map_err(|err| E::custom(err.message))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Scaling {
        min_size: u32,
        max_size: Option<i64>,
        ratio: f64,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Group {
        name: String,
        scaling: Vec<Scaling>,
        labels: BTreeMap<String, String>,
        zone: Option<String>,
        exact: Number,
        raw: Value,
        mode: Mode,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Fast,
        Slow { factor: u8 },
    }

    fn group() -> Group {
        Group {
            name: "web".into(),
            scaling: vec![Scaling { min_size: 1, max_size: Some(5), ratio: 0.1 }],
            labels: BTreeMap::from([("team".to_owned(), "infra".to_owned())]),
            zone: None,
            exact: Number::parse("12345678901234567890123456789.25").unwrap(),
            raw: Value::list([Value::Unknown, Value::set([Value::from(1)])]),
            mode: Mode::Slow { factor: 3 },
        }
    }

    #[test]
    fn models_round_trip() {
        let value = to_value(&group()).unwrap();
        assert_eq!(value.get("name"), Some(&Value::from("web")));
        assert_eq!(value.get("zone"), Some(&Value::Null));
        assert!(matches!(value.get("labels"), Some(Value::Map(_))));
        assert_eq!(value.get("raw"), Some(&Value::list([Value::Unknown, Value::set([Value::from(1)])])));
        assert_eq!(value.get("exact").unwrap().as_number().unwrap().to_string(), "12345678901234567890123456789.25");
        assert_eq!(value.get("mode"), Some(&Value::object([("slow", Value::object([("factor", Value::from(3))]))])));
        let back: Group = from_value(&value).unwrap();
        assert_eq!(back, group());
        let fast = Group { mode: Mode::Fast, ..group() };
        assert_eq!(from_value::<Group>(&to_value(&fast).unwrap()).unwrap(), fast);
    }

    #[test]
    fn unknown_reads_as_none_for_options_and_errors_elsewhere() {
        // The group's value with one attribute of its first scaling block replaced (or removed).
        let with = |name: &str, replacement: Option<Value>| {
            let mut value = to_value(&group()).unwrap();
            let Value::Object(attributes) = &mut value else { panic!() };
            attributes.insert("zone".into(), Value::Unknown);
            let Some(Value::List(scaling)) = attributes.get_mut("scaling") else { panic!() };
            let Value::Object(first) = &mut scaling[0] else { panic!() };
            match replacement {
                Some(replacement) => first.insert(name.into(), replacement),
                None => first.remove(name),
            };
            value
        };
        let back: Group = from_value(&with("max_size", Some(Value::Unknown))).unwrap();
        assert_eq!(back.zone, None);
        assert_eq!(back.scaling[0].max_size, None);

        let err = from_value::<Group>(&with("min_size", Some(Value::Unknown))).unwrap_err();
        assert_eq!(err.to_string(), "decoding value at scaling[0].min_size: expected a number, got an unknown value");
        let err = from_value::<Group>(&with("min_size", Some(Value::from("x")))).unwrap_err();
        assert_eq!(err.to_string(), "decoding value at scaling[0].min_size: expected a number, got a string");
        let err = from_value::<Group>(&with("min_size", Some(Value::from(-1)))).unwrap_err();
        assert_eq!(err.path, AttributePath::root("scaling").index(0).attr("min_size"));
        let err =
            from_value::<Group>(&with("min_size", Some(Value::Number(Number::parse("1.5").unwrap())))).unwrap_err();
        assert!(err.message.contains("integer"), "{err}");
        let err = from_value::<Group>(&with("min_size", Some(Value::Null))).unwrap_err();
        assert_eq!(err.path, AttributePath::root("scaling").index(0).attr("min_size"));
        let err = from_value::<Group>(&with("min_size", None)).unwrap_err();
        assert_eq!(err.to_string(), "decoding value at scaling[0]: missing field `min_size`");
    }

    #[test]
    fn serialize_errors_have_paths() {
        let bad = Scaling { min_size: 1, max_size: None, ratio: f64::NAN };
        let err = to_value(&vec![bad]).unwrap_err();
        assert_eq!(err.to_string(), "encoding value at [0].ratio: NaN is not a number Terraform can hold");
    }

    #[test]
    fn values_and_numbers_with_other_formats() {
        let value = Value::object([
            ("a", Value::list([Value::from(1), Value::Unknown])),
            ("b", Value::Number(Number::parse("1e400").unwrap())),
        ]);
        assert_eq!(serde_json::to_string(&value).unwrap(), r#"{"a":[1,null],"b":"1e400"}"#);
        let back: Value = serde_json::from_str(r#"{"a":[1,null,"x",2.5,true]}"#).unwrap();
        assert_eq!(
            back,
            Value::object([(
                "a",
                Value::list([
                    Value::from(1),
                    Value::Null,
                    Value::from("x"),
                    Value::Number(Number::parse("2.5").unwrap()),
                    Value::Bool(true)
                ])
            )])
        );
        let number: Number = serde_json::from_str("\"1e400\"").unwrap();
        assert_eq!(number.to_string(), "1e400");
        let number: Number = serde_json::from_str("7").unwrap();
        assert_eq!(number, Number::from(7));
        // Nothing is left behind in the hand-off slot.
        assert!(handoff_take().is_none());
    }

    #[test]
    fn plain_types() {
        assert_eq!(to_value(&(1, "a")).unwrap(), Value::tuple([Value::from(1), Value::from("a")]));
        assert_eq!(to_value(&()).unwrap(), Value::Null);
        assert_eq!(from_value::<Vec<String>>(&Value::set([Value::from("x")])).unwrap(), vec!["x".to_owned()]);
        assert_eq!(
            from_value::<(i64, String)>(&Value::tuple([Value::from(1), Value::from("a")])).unwrap(),
            (1, "a".to_owned())
        );
        assert_eq!(
            from_value::<u64>(&Value::Number(Number::parse("18446744073709551615").unwrap())).unwrap(),
            u64::MAX
        );
        assert_eq!(from_value::<f64>(&Value::from(3)).unwrap(), 3.0);
        assert!(from_value::<(i64,)>(&Value::tuple([Value::from(1), Value::from(2)])).is_err());
        let map: std::collections::HashMap<String, Option<i64>> =
            from_value(&Value::map([("a", Value::Null), ("b", Value::from(2))])).unwrap();
        assert_eq!(map.get("a"), Some(&None));
        assert_eq!(map.get("b"), Some(&Some(2)));
        assert_eq!(to_value(&Mode::Fast).unwrap(), Value::from("fast"));
    }
}
