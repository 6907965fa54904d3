//! Acceptance tests of `autoscale_prometheus_adapter_manifest` under the real terraform: the
//! ConfigMap with its config.yaml (Go-template delimiters intact), output_path drift, import
//! from the file, destroy, and bad rules failing at plan. The seed's golden file is checked in
//! the worker HPA test (tests/hpa_manifest.rs), which uses this resource.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use acceptance::Workspace;

fn adapter(output: &Path, window: &str) -> String {
    format!(
        r#"
resource "autoscale_prometheus_adapter_manifest" "this" {{
  output_path = "{output}"
  labels      = {{ "app.kubernetes.io/part-of" = "autoscaling" }}

  external_rule {{
    metric_name  = "celery_queue_depth"
    series_query = "celery_queue_depth{{queue!=\"\"}}"
    namespaced   = false
    window       = "{window}"
  }}
  external_rule {{
    metric_name        = "kafka_lag"
    series_query       = "kafka_consumergroup_lag"
    resource_overrides = {{ namespace = "namespace" }}
    metrics_query      = "max by (<<.GroupBy>>) (<<.Series>>{{<<.LabelMatchers>>}})"
  }}
}}
"#,
        output = output.display()
    )
}

#[test]
fn basic_drift_import_and_destroy() {
    let ws = Workspace::empty();
    let file = ws.path().join("out/adapter.yaml");
    ws.write_config(&adapter(&file, "2m"));
    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("avg_over_time(<<.Series>>{<<.LabelMatchers>>}[2m])"), "{}", plan.stdout);
    ws.apply();
    let attrs = ws.attrs("autoscale_prometheus_adapter_manifest.this");
    assert_eq!(attrs["external_metric_names"], serde_json::json!(["celery_queue_depth", "kafka_lag"]));
    assert_eq!(attrs["id"], "monitoring/prometheus-adapter");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), attrs["yaml"].as_str().unwrap());
    assert!(attrs["config_yaml"].as_str().unwrap().contains("metricsQuery: \"max by (<<.GroupBy>>) (<<.Series>>{<<.LabelMatchers>>})\""));
    ws.assert_no_changes();

    ws.assert_import_verifies("autoscale_prometheus_adapter_manifest.this", file.to_str().unwrap(), &[]);

    ws.assert_output_file_drift_repaired(&file, "edited");

    ws.write_config(&adapter(&file, "5m"));
    ws.assert_changes(&["[5m]"]);
    ws.apply();
    assert!(std::fs::read_to_string(&file).unwrap().contains("[5m]"));

    ws.destroy();
    assert!(!file.exists());
}

#[test]
fn bad_rules_fail_at_plan_naming_the_attribute() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("window       = \"2m\"", "window = \"2 minutes\"", &["window", "not a Prometheus duration"]),
        ("namespaced   = false", "aggregation = \"median\"", &["aggregation", "must be one of"]),
        ("metric_name        = \"kafka_lag\"", "metric_name = \"celery_queue_depth\"", &["metric_name", "earlier rule"]),
        ("resource_overrides = { namespace = \"namespace\" }", "resource_overrides = { namespace = \"Name Space\" }", &["resource_overrides", "not a Kubernetes resource"]),
        ("  labels      =", "  name = \"Adapter\"\n  labels =", &["name", "not a valid Kubernetes name"]),
    ];
    let ws = Workspace::empty();
    let file = ws.path().join("out/adapter.yaml");
    let good = adapter(&file, "2m");
    for (from, to, expect) in cases {
        assert!(good.contains(from), "case {from:?} does not apply");
        ws.write_config(&good.replacen(from, to, 1));
        let out = ws.plan(&[]);
        assert_eq!(out.code, 1, "{to:?} should fail the plan:\n{}", out.text());
        let flat = out.text().split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in *expect {
            assert!(flat.contains(needle), "{to:?}: the error does not mention {needle:?}:\n{}", out.text());
        }
    }
    // metrics_query together with window is refused by the schema.
    ws.write_config(&good.replace("metrics_query      =", "window = \"1m\"\n    metrics_query ="));
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    assert!(out.text().contains("Conflicting attributes"), "{}", out.text());
    assert!(!file.exists());
}
