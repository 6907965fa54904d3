//! Fuzzing the msgpack value decoder (everything Terraform sends goes through it) with proptest:
//! random bytes, and valid encodings with bytes flipped, cut or inserted, against random types.
//! The decoder must never panic, hang or allocate without bound; what it accepts must re-encode
//! and decode to the same value. `make test` runs a few thousand cases and the regression corpus
//! in tests/corpus/msgpack/; a long run scales the case count, or
//! repeats with fresh random seeds for a fixed time:
//!
//! ```sh
//! FUZZ_CASES=1000000 cargo test -p tfplugin --test fuzz
//! FUZZ_SECONDS=600 cargo test -p tfplugin --test fuzz -- fuzz_msgpack_random_bytes   # one target, 10 minutes
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tfplugin::value::{Type, Value};

/// Cases per property: `FUZZ_CASES`, else a quick default.
fn cases(default: u32) -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runner(default: u32) -> TestRunner {
    TestRunner::new(Config { cases: cases(default), failure_persistence: None, ..Config::default() })
}

/// Runs `property` over `strategy`: `FUZZ_CASES` cases (else `default`), repeated with fresh
/// random seeds until `FUZZ_SECONDS` have passed when that is set.
fn fuzz<S: Strategy>(default: u32, strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let seconds = std::env::var("FUZZ_SECONDS").ok().and_then(|v| v.parse::<u64>().ok());
    let started = std::time::Instant::now();
    loop {
        runner(default).run(&strategy, &property).unwrap();
        if seconds.is_none_or(|s| started.elapsed().as_secs() >= s) {
            break;
        }
    }
}

fn any_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String), Just(Type::Dynamic)];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(|t| Type::Set(Box::new(t))),
            inner.clone().prop_map(|t| Type::Map(Box::new(t))),
            prop::collection::btree_map("[a-c]{1,2}", inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..4).prop_map(Type::Tuple),
        ]
    })
}

/// A value of `ty` (some of them null or unknown), for valid encodings to mutate.
fn value_of(ty: &Type) -> BoxedStrategy<Value> {
    let own: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => any::<i64>().prop_map(Value::from).boxed(),
        Type::String | Type::Dynamic => ".{0,12}".prop_map(Value::from).boxed(),
        Type::List(element) => prop::collection::vec(value_of(element), 0..4).prop_map(Value::List).boxed(),
        Type::Set(element) => prop::collection::vec(value_of(element), 0..4).prop_map(Value::Set).boxed(),
        Type::Map(element) => prop::collection::btree_map("[a-z]{0,3}", value_of(element), 0..4).prop_map(Value::Map).boxed(),
        Type::Object(attributes) => {
            let parts: Vec<_> = attributes.iter().map(|(name, t)| value_of(t).prop_map({
                let name = name.clone();
                move |v| (name.clone(), v)
            })).collect();
            parts.prop_map(|pairs| Value::Object(pairs.into_iter().collect::<BTreeMap<_, _>>())).boxed()
        }
        Type::Tuple(elements) => elements.iter().map(value_of).collect::<Vec<_>>().prop_map(Value::Tuple).boxed(),
    };
    prop_oneof![8 => own, 1 => Just(Value::Null), 1 => Just(Value::Unknown)].boxed()
}

/// The property every input must have: no panic, and a decoded value is stable.
fn check(bytes: &[u8], ty: &Type) -> Result<(), TestCaseError> {
    if let Ok(value) = Value::from_msgpack(bytes, ty) {
        // What the decoder accepts, the encoder can write and the decoder reads back the same.
        if let Ok(again) = value.to_msgpack(ty) {
            let back = Value::from_msgpack(&again, ty).map_err(|e| TestCaseError::fail(format!("re-decoding failed: {e}")))?;
            prop_assert_eq!(back, value);
        }
    }
    Ok(())
}

#[test]
fn fuzz_msgpack_random_bytes() {
    fuzz(3000, (prop::collection::vec(any::<u8>(), 0..64), any_type()), |(bytes, ty)| check(&bytes, &ty));
}

#[test]
fn fuzz_msgpack_mutated_valid_encodings() {
    let strategy = any_type().prop_flat_map(|ty| (value_of(&ty), Just(ty))).prop_flat_map(|(value, ty)| {
        let bytes = value.to_msgpack(&ty).unwrap_or_default();
        let len = bytes.len().max(1);
        (Just(bytes), Just(ty), 0..len, any::<u8>(), 0..3u8)
    });
    fuzz(3000, strategy, |(mut bytes, ty, at, byte, how)| {
            match how {
                0 if !bytes.is_empty() => bytes[at] = byte,
                1 => bytes.truncate(at),
                _ => bytes.insert(at.min(bytes.len()), byte),
            }
            check(&bytes, &ty)
        });
}

/// Types each corpus file is decoded as.
fn corpus_types() -> Vec<Type> {
    vec![
        Type::Dynamic,
        Type::String,
        Type::Number,
        Type::Bool,
        Type::list(Type::Dynamic),
        Type::Map(Box::new(Type::String)),
        Type::Object([("a".to_string(), Type::String), ("b".to_string(), Type::list(Type::Number))].into_iter().collect()),
        Type::Tuple(vec![Type::Bool, Type::Number]),
    ]
}

#[test]
fn msgpack_regression_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/msgpack");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus directory") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("bin") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for ty in corpus_types() {
            let started = std::time::Instant::now();
            check(&bytes, &ty).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(started.elapsed().as_secs() < 5, "{} as {ty:?} took {:?}", path.display(), started.elapsed());
        }
        files += 1;
    }
    assert!(files >= 20, "the corpus has its files ({files})");
}
