//! Tests across the value module: helpers, conform, and property tests of every encoding on random types and values.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::*;
use crate::diag::AttributePath;

fn num(text: &str) -> Value {
    Value::Number(Number::parse(text).unwrap())
}

#[test]
fn helpers() {
    let value = Value::object([
        ("name", Value::from("web")),
        ("size", Value::from(3)),
        ("on", Value::from(true)),
        ("scaling", Value::list([Value::object([("min", Value::Unknown)])])),
        ("labels", Value::map([("k", Value::from("v"))])),
        ("none", Value::from(None::<i64>)),
    ]);
    assert_eq!(value.get("name").and_then(Value::as_str), Some("web"));
    assert_eq!(value.get("size").and_then(Value::as_i64), Some(3));
    assert_eq!(value.get("on").and_then(Value::as_bool), Some(true));
    assert!(value.get("none").unwrap().is_null());
    assert_eq!(value.get_path(&AttributePath::root("scaling").index(0).attr("min")), Some(&Value::Unknown));
    assert_eq!(value.get_path(&AttributePath::root("labels").key("k")), Some(&Value::from("v")));
    assert_eq!(value.get_path(&AttributePath::root("scaling").index(1)), None);
    assert_eq!(value.get_path(&AttributePath::empty()), Some(&value));
    assert!(value.is_known());
    assert!(!value.is_wholly_known());
    assert_eq!(value.unknown_paths(), vec![AttributePath::root("scaling").index(0).attr("min")]);
    assert_eq!(value.get("labels").and_then(Value::as_map).map(BTreeMap::len), Some(1));
    assert_eq!(value.get("scaling").and_then(Value::as_list).map(<[Value]>::len), Some(1));
    let mut count = 0;
    value.walk(&mut |_, _| count += 1);
    assert_eq!(count, 10);
}

#[test]
fn sets_compare_as_sets() {
    let a = Value::set([Value::from(1), Value::from(2)]);
    let b = Value::set([Value::from(2), Value::from(1), Value::from(2)]);
    assert_ne!(a, b);
    assert!(Value::semantically_equal(&a, &b));
    let nested_a = Value::object([("s", a.clone())]);
    let nested_b = Value::object([("s", b)]);
    assert!(Value::semantically_equal(&nested_a, &nested_b));
    assert!(!Value::semantically_equal(&a, &Value::list([Value::from(1), Value::from(2)])));
    assert!(!Value::semantically_equal(&a, &Value::set([Value::from(1)])));
    assert_eq!(num("1.0"), Value::from(1));
}

#[test]
fn conform_shapes_values_to_types() {
    let ty = Type::object([
        ("name", Type::String),
        ("zones", Type::set(Type::String)),
        ("pair", Type::tuple([Type::String, Type::Number])),
        ("tags", Type::map(Type::String)),
        ("inner", Type::object([("a", Type::Bool), ("b", Type::Dynamic)])),
    ]);
    let value = Value::map([
        ("name", Value::from("x")),
        ("zones", Value::list([Value::from("a"), Value::from("b"), Value::from("a"), Value::Unknown, Value::Unknown])),
        ("pair", Value::list([Value::from("a"), Value::from(1)])),
        ("tags", Value::object([("k", Value::from("v"))])),
        ("inner", Value::object([("b", Value::list([Value::from(1)]))])),
    ]);
    let conformed = value.conform(&ty, &AttributePath::empty()).unwrap();
    assert_eq!(
        conformed,
        Value::object([
            ("name", Value::from("x")),
            ("zones", Value::set([Value::from("a"), Value::from("b"), Value::Unknown, Value::Unknown])),
            ("pair", Value::tuple([Value::from("a"), Value::from(1)])),
            ("tags", Value::map([("k", Value::from("v"))])),
            ("inner", Value::object([("a", Value::Null), ("b", Value::list([Value::from(1)]))])),
        ])
    );
    let base = AttributePath::root("resource");
    let err = Value::object([("name", Value::from(1))]).conform(&ty, &base).unwrap_err();
    assert_eq!(err.to_string(), "checking value at resource.name: expected a string, got a number");
    let err = Value::object([("nope", Value::Null)]).conform(&ty, &base).unwrap_err();
    assert_eq!(err.path, AttributePath::root("resource").attr("nope"));
    let err = Value::object([("pair", Value::list([Value::from("a")]))]).conform(&ty, &base).unwrap_err();
    assert!(err.message.contains("tuple of 2"), "{err}");
    let err = Value::object([("tags", Value::map([("k", Value::from(false))]))]).conform(&ty, &base).unwrap_err();
    assert_eq!(err.path, AttributePath::root("resource").attr("tags").key("k"));
    assert_eq!(Value::Unknown.conform(&ty, &base).unwrap(), Value::Unknown);
}

// ---------------------------------------------------------------------------------------------
// Property tests

fn arb_type_with(leaves: BoxedStrategy<Type>, depth: u32) -> BoxedStrategy<Type> {
    leaves
        .prop_recursive(depth, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::Object),
                prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
            ]
        })
        .boxed()
}

/// Random types of depth ≤ 4, `Dynamic` included.
fn arb_type() -> BoxedStrategy<Type> {
    let leaves =
        prop_oneof![3 => Just(Type::Bool), 3 => Just(Type::Number), 3 => Just(Type::String), 1 => Just(Type::Dynamic)];
    arb_type_with(leaves.boxed(), 4)
}

/// The types a value under `Dynamic` is given: no `Dynamic` inside, shallower.
fn arb_static_type() -> BoxedStrategy<Type> {
    arb_type_with(prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)].boxed(), 2)
}

fn arb_number() -> BoxedStrategy<Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        (any::<bool>(), "[1-9][0-9]{0,40}", -60i64..60).prop_map(|(negative, digits, exponent)| {
            Number::parse(&format!("{}{digits}e{exponent}", if negative { "-" } else { "" })).unwrap()
        }),
        Just(Number::parse("1e400").unwrap()),
    ]
    .boxed()
}

fn arb_string() -> BoxedStrategy<String> {
    prop_oneof![prop::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter), "[a-z\"\\\\]{0,4}"].boxed()
}

/// Values conforming to `ty`, with null and unknown at every depth.
fn arb_value(ty: Type) -> BoxedStrategy<Value> {
    prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => arb_known(ty)].boxed()
}

fn arb_known(ty: Type) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => arb_string().prop_map(Value::String).boxed(),
        Type::List(element) => prop::collection::vec(arb_value(*element), 0..4).prop_map(Value::List).boxed(),
        Type::Set(element) => prop::collection::vec(arb_value(*element), 0..4).prop_map(Value::Set).boxed(),
        Type::Map(element) => {
            prop::collection::btree_map(arb_string(), arb_value(*element), 0..4).prop_map(Value::Map).boxed()
        }
        Type::Object(attributes) => attributes
            .into_iter()
            .map(|(name, ty)| arb_value(ty).prop_map(move |value| (name.clone(), value)))
            .collect::<Vec<_>>()
            .prop_map(|entries| Value::Object(entries.into_iter().collect()))
            .boxed(),
        Type::Tuple(types) => types.into_iter().map(arb_value).collect::<Vec<_>>().prop_map(Value::Tuple).boxed(),
        Type::Dynamic => arb_static_type().prop_flat_map(arb_value).boxed(),
    }
}

fn arb_typed_value() -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(|ty| arb_value(ty.clone()).prop_map(move |value| (ty.clone(), value)))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Model {
    name: String,
    count: Option<i64>,
    ratio: f64,
    flag: bool,
    tags: Vec<String>,
    labels: BTreeMap<String, u16>,
    inner: Option<Inner>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    size: u32,
    big: Number,
}

fn model_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("count", Type::Number),
        ("ratio", Type::Number),
        ("flag", Type::Bool),
        ("tags", Type::list(Type::String)),
        ("labels", Type::map(Type::Number)),
        ("inner", Type::object([("size", Type::Number), ("big", Type::Number)])),
    ])
}

fn arb_model() -> impl Strategy<Value = Model> {
    (
        arb_string(),
        any::<Option<i64>>(),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        any::<bool>(),
        prop::collection::vec(arb_string(), 0..3),
        prop::collection::btree_map(arb_string(), any::<u16>(), 0..3),
        prop::option::of((any::<u32>(), arb_number()).prop_map(|(size, big)| Inner { size, big })),
    )
        .prop_map(|(name, count, ratio, flag, tags, labels, inner)| Model {
            name,
            count,
            ratio,
            flag,
            tags,
            labels,
            inner,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn msgpack_round_trips((ty, value) in arb_typed_value()) {
        let bytes = value.to_msgpack(&ty).unwrap();
        prop_assert_eq!(Value::from_msgpack(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn json_round_trips_known_values((ty, value) in arb_typed_value()) {
        if value.is_wholly_known() {
            let bytes = value.to_json(&ty).unwrap();
            prop_assert_eq!(&Value::from_json(&bytes, &ty).unwrap(), &value);
            prop_assert_eq!(Value::from_json_lenient(&bytes, &ty).unwrap(), value);
        } else {
            prop_assert!(value.to_json(&ty).is_err());
        }
    }

    #[test]
    fn type_json_round_trips(ty in arb_type()) {
        prop_assert_eq!(Type::from_json(&ty.to_json_bytes()).unwrap(), ty);
    }

    #[test]
    fn generated_values_conform_to_their_types((ty, value) in arb_typed_value()) {
        let conformed = value.clone().conform(&ty, &AttributePath::empty()).unwrap();
        prop_assert!(Value::semantically_equal(&conformed, &value), "{:?} vs {:?}", conformed, value);
    }

    #[test]
    fn number_text_round_trips(number in arb_number()) {
        let text = number.to_string();
        prop_assert_eq!(Number::parse(&text).unwrap(), number.clone());
        prop_assert_eq!(text.parse::<f64>().unwrap(), number.as_f64());
    }

    #[test]
    fn models_round_trip_through_values_and_msgpack(model in arb_model()) {
        let value = to_value(&model).unwrap();
        prop_assert_eq!(&from_value::<Model>(&value).unwrap(), &model);
        let ty = model_type();
        let value = value.conform(&ty, &AttributePath::empty()).unwrap();
        let decoded = Value::from_msgpack(&value.to_msgpack(&ty).unwrap(), &ty).unwrap();
        prop_assert_eq!(from_value::<Model>(&decoded).unwrap(), model);
    }
}

fn fuzz_types() -> Vec<Type> {
    vec![
        Type::Dynamic,
        Type::object([
            ("a", Type::list(Type::String)),
            ("b", Type::map(Type::Number)),
            ("c", Type::tuple([Type::Bool, Type::Dynamic])),
            ("d", Type::set(Type::object([("x", Type::Number)]))),
        ]),
        Type::list(Type::list(Type::Dynamic)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..48)) {
        for ty in fuzz_types() {
            let _ = Value::from_msgpack(&bytes, &ty);
            let _ = Value::from_json(&bytes, &ty);
            let _ = Value::from_json_lenient(&bytes, &ty);
        }
        let _ = Type::from_json(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn mutated_encodings_never_panic((ty, value) in arb_typed_value(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut bytes = value.to_msgpack(&ty).unwrap();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = Value::from_msgpack(&bytes, &ty);
        bytes.truncate(cut.index(bytes.len()));
        let _ = Value::from_msgpack(&bytes, &ty);
        if value.is_wholly_known() {
            let mut json = value.to_json(&ty).unwrap();
            let i = at.index(json.len());
            json[i] = byte;
            let _ = Value::from_json(&json, &ty);
        }
    }
}
