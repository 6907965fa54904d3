//! Fuzzing the provider's parsers of user text with proptest: cron recurrences and what they
//! compute (next runs in any time zone), time zone names, day sets and timestamps
//! (`autoscale::schedule`), and the HPA manifest reader and renderer (`autoscale::render::hpa`).
//! Nothing may panic or hang; an HPA the reader accepts renders and reads back the same. `make
//! test` runs a few thousand cases and the regression corpus in tests/corpus/; a long run:
//!
//! ```sh
//! FUZZ_CASES=1000000 cargo test -p terraform-provider-autoscale --test fuzz
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use autoscale::render::Overrides;
use autoscale::render::hpa;
use autoscale::schedule::{DaySet, next_occurrence, parse_recurrence, parse_time_zone, parse_timestamp};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn runner(default: u32) -> TestRunner {
    let cases = std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
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

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(name)
}

/// A recurrence-like string: cron atoms most of the time, anything some of the time.
fn recurrence_text() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("*".to_string()),
        (0u32..70).prop_map(|n| n.to_string()),
        "[A-Za-z]{3}",
        "[0-9]{1,3}-[0-9]{1,3}",
        "\\*/[0-9]{1,2}",
        "[0-9]{1,2}/[0-9]{1,2}",
        "[A-Z]{3}-[A-Z]{3}",
        "[?LW#0-9]{1,3}",
    ];
    let field = prop::collection::vec(atom, 1..3).prop_map(|atoms| atoms.join(","));
    prop_oneof![
        9 => prop::collection::vec(field, 4..7).prop_map(|fields| fields.join(" ")),
        1 => ".{0,30}",
    ]
}

const ZONES: [&str; 8] = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Kiritimati", "Etc/GMT+12", "America/St_Johns"];

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2000-01-01 to 2100-01-01.
    (946_684_800i64..4_102_444_800).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

/// The property of one recurrence: parsing never panics, and a parsed recurrence's next run in
/// any zone comes quickly and after the given instant.
fn check_recurrence(text: &str, zone: &str, after: DateTime<Utc>) -> Result<(), TestCaseError> {
    if let Ok(recurrence) = parse_recurrence(text) {
        let zone = parse_time_zone(zone).unwrap();
        let started = Instant::now();
        if let Some(next) = next_occurrence(&recurrence, zone, after) {
            prop_assert!(next > after, "{text:?} in {zone}: next run {next} is not after {after}");
        }
        prop_assert!(started.elapsed() < Duration::from_secs(2), "{text:?}: the next run took {:?}", started.elapsed());
    }
    Ok(())
}

#[test]
fn fuzz_recurrences_and_their_next_runs() {
    fuzz(2000, (recurrence_text(), prop::sample::select(&ZONES[..]), instant()), |(text, zone, after)| check_recurrence(&text, zone, after));
}

#[test]
fn fuzz_time_zones_day_sets_and_timestamps() {
    fuzz(3000, (".{0,40}", "[A-Za-z_/+0-9-]{0,30}", "[A-Z0-9,*#-]{0,20}", "[0-9TZ:+.-]{0,30}"), |(any, zone, days, time)| {
            for text in [&any, &zone] {
                if let Ok(tz) = parse_time_zone(text) {
                    prop_assert_eq!(tz.name(), text.as_str());
                }
            }
            for text in [&any, &days] {
                if let Ok(set) = DaySet::parse(text) {
                    // What is accepted can be written back as a cron field and read again.
                    prop_assert_eq!(DaySet::parse(&set.cron_field()).ok(), Some(set));
                }
            }
            for text in [&any, &time] {
                let _ = parse_timestamp(text);
            }
            Ok(())
        });
}

/// The property of one HPA text: reading never panics; what is read and valid renders, and the
/// rendering reads back the same.
fn check_hpa_yaml(text: &str) -> Result<(), TestCaseError> {
    if let Ok(parsed) = hpa::parse(text) {
        if !hpa::validate(&parsed).is_empty() {
            // Refused at plan time, with a diagnostic; never rendered.
            return Ok(());
        }
        let rendered = hpa::render(&parsed, &Overrides::none()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again = hpa::parse(&rendered.yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{}", rendered.yaml)))?;
        // Known, reported: empty objects (`behavior: {}`, `selector: {}`) render as absent. For
        // a selector that means the same; for `behavior` Kubernetes' controller differs (per-
        // direction defaults vs. the legacy max(2x, 4) cap). Compared with empties pruned.
        prop_assert_eq!(pruned(serde_json::to_value(&again).unwrap()), pruned(serde_json::to_value(&parsed).unwrap()));
    }
    Ok(())
}

/// `value` without nulls and empty objects, at any depth.
fn pruned(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, pruned(v)))
                .filter(|(_, v)| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()))
                .collect(),
        ),
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(pruned).collect()),
        other => other,
    }
}

#[test]
fn fuzz_hpa_manifest_reader_and_renderer() {
    let valid = std::fs::read_to_string(corpus("hpa/api.yaml")).unwrap();
    let len = valid.len();
    let mutation = (0..len, 0..len, "[ -~\n]{0,8}", 0..3u8);
    fuzz(1500, (mutation, ".{0,60}"), |((at, to, insert, how), random)| {
            let (from, to) = (at.min(to), at.max(to));
            let mutated = match how {
                0 => format!("{}{}{}", &valid[..from], insert, &valid[to..]),
                1 => valid[..from].to_string() + &valid[to..],
                _ => format!("{}{}{}", &valid[..from], insert, &valid[from..]),
            };
            check_hpa_yaml(&mutated)?;
            check_hpa_yaml(&random)
        });
}

#[test]
fn recurrence_and_time_zone_regression_corpus() {
    let after = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap(); // a DST change in Europe
    let recurrences = std::fs::read_to_string(corpus("recurrences.txt")).unwrap();
    assert!(recurrences.lines().count() >= 30);
    for line in recurrences.lines() {
        for zone in ZONES {
            check_recurrence(line, zone, after).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        }
    }
    assert!(parse_recurrence("0 8 * * MON-FRI").is_ok() && parse_recurrence("0 8 * * MON#2").is_err(), "the corpus is read by the real parser");
    let zones = std::fs::read_to_string(corpus("time_zones.txt")).unwrap();
    for line in zones.lines() {
        if let Ok(tz) = parse_time_zone(line) {
            assert_eq!(tz.name(), line);
        }
    }
}

#[test]
fn hpa_manifest_regression_corpus() {
    let mut files = 0;
    for entry in std::fs::read_dir(corpus("hpa")).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let started = Instant::now();
        check_hpa_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(started.elapsed() < Duration::from_secs(5), "{} took {:?}", path.display(), started.elapsed());
        files += 1;
    }
    assert!(files >= 8);
    assert!(hpa::parse(&std::fs::read_to_string(corpus("hpa/api.yaml")).unwrap()).is_ok(), "the valid seed reads");
}
