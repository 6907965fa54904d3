//! Checks of the harness itself and of the provider block: the emulator answers, terraform runs
//! the built provider, and provider arguments are validated with their attribute path.

use acceptance::{Workspace, emulator};

#[test]
fn emulator_is_healthy() {
    let (status, body) = emulator().control("GET", "/_emulator/health", None);
    assert_eq!(status, 200);
    assert_eq!(body.trim(), "ok");
}

#[test]
fn empty_configuration_applies_with_the_built_provider() {
    let ws = Workspace::new("");
    let out = ws.apply();
    assert!(out.text().contains("Apply complete"), "{}", out.text());
    ws.assert_no_changes();
}

#[test]
fn bad_provider_arguments_name_the_attribute() {
    let ws = Workspace::empty();
    ws.write_raw_config(
        r#"
terraform {
  required_providers {
    autoscale = { source = "autoscale/autoscale" }
  }
}
provider "autoscale" {
  retry_mode = "fast"
  access_key = "AKIDEXAMPLE"
}
resource "autoscale_hpa_manifest" "x" {
  name         = "x"
  namespace    = "default"
  min_replicas = 1
  max_replicas = 2
  target {
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "x"
  }
  metric {
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }
}
"#,
    );
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    let text = out.text();
    assert!(text.contains("retry_mode") && text.contains("`standard`, `adaptive`"), "{text}");
    assert!(text.contains("secret_key"), "{text}");
}

#[test]
fn service_endpoint_variables_override_the_general_one() {
    // AWS_ENDPOINT_URL points nowhere; the service-specific variables reach the emulator, as the
    // AWS SDKs resolve them.
    let cluster = acceptance::unique("endpoints");
    acceptance::create_cluster(&cluster);
    let mut ws = Workspace::new(&format!(
        r#"
resource "autoscale_scheduled_action" "x" {{
  cluster_name     = "{cluster}"
  node_group_name  = "missing"
  name             = "x"
  recurrence       = "0 8 * * 1-5"
  desired_capacity = 1
}}
"#
    ));
    ws.set_env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    ws.set_env("AWS_MAX_ATTEMPTS", "1");
    let out = ws.apply_fails();
    assert!(out.text().contains("could not be sent") && !out.text().contains("not found"), "{}", out.text());
    let endpoint = emulator().endpoint.clone();
    ws.set_env("AWS_ENDPOINT_URL_EKS", &endpoint);
    ws.set_env("AWS_ENDPOINT_URL_AUTO_SCALING", &endpoint);
    let out = ws.apply_fails();
    // The EKS lookup reached the emulator: it answers that the node group does not exist.
    assert!(out.text().contains("not found"), "{}", out.text());
}
