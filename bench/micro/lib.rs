//! Nothing but a home for the criterion benchmarks in `hot_paths.rs` (bench/run.sh runs them).
