//! terraform-provider-autoscale as a library: the provider, its AWS access, resources and data
//! sources. The binary in `main.rs` only serves it; acceptance tests reuse the AWS functions.

pub mod aws;
pub mod cost;
pub mod data_sources;
pub mod docs;
pub mod instance_types;
pub mod provider;
pub mod render;
pub mod resources;
pub mod simulate;
pub mod schedule;

/// Where Terraform finds this provider: `source = "autoscale/autoscale"`.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/autoscale/autoscale";
