//! Entry point of terraform-provider-autoscale: serve the plugin protocol.
fn main() {}
