//! tfplugin: a small, dependable SDK for Terraform providers written in Rust.
//!
//! It speaks plugin protocol 6 (Terraform 1.0 and later, OpenTofu) over tonic/prost, performs the
//! go-plugin handshake with AutoMTLS, and gives provider authors typed values, schemas built once,
//! plan helpers and diagnostics with attribute paths. It knows nothing of any cloud: providers
//! bring their own clients. Only the `server` module sees protocol types.

pub mod diag;
pub mod proto;
pub mod value;
pub mod log;
pub mod validate;
pub mod schema;
pub mod provider;
pub mod plan;
pub mod timeouts;
pub mod server;

pub use async_trait::async_trait;
pub use diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
pub use value::{Number, Type, Value};
