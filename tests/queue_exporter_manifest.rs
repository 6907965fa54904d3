//! Acceptance tests of `autoscale_queue_exporter_manifest` under the real terraform: the
//! exporter (queues celery, video-processing and default) against its golden file (which
//! `manifests_kubernetes_validate` checks with kubernetes-validate), import from the file, drift
//! of the output file, an update, destroy, and the wiring into prometheus-adapter: the adapter
//! serves `celery_queue_depth` from the exporter's own series, and a rule selecting a series the
//! exporter does not export fails the plan.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use acceptance::{Workspace, assert_golden};

/// The quickstart's exporter, without a ServiceMonitor unless `monitor`.
fn exporter(output: &Path, queues: &str, monitor: bool) -> String {
    let monitor = if monitor { "\n  service_monitor {\n    labels = { release = \"prometheus\" }\n  }\n" } else { "" };
    format!(
        r#"
resource "autoscale_queue_exporter_manifest" "celery" {{
  queues      = [{queues}]
  output_path = "{output}"

  broker_url_secret {{
    name = "celery-broker"
    key  = "url"
  }}
{monitor}}}
"#,
        output = output.display()
    )
}

#[test]
fn basic_golden_import_drift_update_and_destroy() {
    let ws = Workspace::empty();
    let file = ws.path().join("out/exporter.yaml");
    let queues = r#""celery", "video-processing", "default""#;
    ws.write_config(&exporter(&file, queues, false));
    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("--queues=celery,video-processing,default"), "{}", plan.stdout);

    ws.apply();
    let attrs = ws.attrs("autoscale_queue_exporter_manifest.celery");
    let yaml = attrs["yaml"].as_str().unwrap();
    assert_golden("queue-exporter.yaml", yaml);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), yaml);
    assert!(yaml.contains("name: CE_BROKER_URL") && yaml.contains("secretKeyRef:") && !yaml.contains("redis://"), "{yaml}");
    assert_eq!(attrs["id"], "monitoring/celery-exporter");
    assert_eq!(
        attrs["external_rule"],
        serde_json::json!([{"metric_name": "celery_queue_depth", "series_query": "celery_queue_length{queue_name!=\"\"}", "namespaced": false, "window": "2m"}])
    );
    ws.assert_no_changes();
    ws.assert_import_verifies("autoscale_queue_exporter_manifest.celery", file.to_str().unwrap(), &[]);

    ws.assert_output_file_drift_repaired(&file, &yaml.replace("--port=9808", "--port=9000"));

    ws.write_config(&exporter(&file, r#""celery""#, true));
    ws.assert_changes(&["kind: ServiceMonitor"]);
    ws.apply();
    let updated = std::fs::read_to_string(&file).unwrap();
    assert!(updated.contains("kind: ServiceMonitor") && updated.contains("release: prometheus") && updated.contains("interval: \"15s\""), "{updated}");
    ws.assert_no_changes();
    ws.assert_import_verifies("autoscale_queue_exporter_manifest.celery", file.to_str().unwrap(), &[]);

    ws.destroy();
    assert!(!file.exists(), "destroy left {}", file.display());
}

/// The exporter's rule feeds the adapter through a dynamic block, and `series_exported_by`
/// checks the wiring at plan time: a rule on a series the exporter does not export (such as
/// `celery_active_workers`, which this exporter calls `celery_active_worker_count`) fails the plan
/// at that rule's series_query.
#[test]
fn the_adapter_serves_the_worker_metric_from_the_exporter_series() {
    let ws = Workspace::empty();
    let adapter = |extra_rule: &str| {
        format!(
            r#"
resource "autoscale_queue_exporter_manifest" "celery" {{
  queues = ["celery", "video-processing", "default"]
  broker_url_secret {{
    name = "celery-broker"
    key  = "url"
  }}
}}

resource "autoscale_prometheus_adapter_manifest" "celery" {{
  series_exported_by = autoscale_queue_exporter_manifest.celery.yaml

  dynamic "external_rule" {{
    for_each = autoscale_queue_exporter_manifest.celery.external_rule
    content {{
      metric_name  = external_rule.value.metric_name
      series_query = external_rule.value.series_query
      namespaced   = external_rule.value.namespaced
      window       = external_rule.value.window
    }}
  }}
{extra_rule}}}
"#
        )
    };
    ws.write_config(&adapter(""));
    ws.apply();
    let served = ws.attrs("autoscale_prometheus_adapter_manifest.celery");
    assert_eq!(served["external_metric_names"], serde_json::json!(["celery_queue_depth"]));
    let config = served["config_yaml"].as_str().unwrap();
    assert!(config.contains("celery_queue_length{queue_name!=\\\"\\\"}") || config.contains("celery_queue_length{queue_name!=\"\"}"), "{config}");
    assert!(config.contains("[2m]"), "{config}");
    ws.assert_no_changes();

    ws.write_config(&adapter("\n  external_rule {\n    metric_name  = \"celery_workers\"\n    series_query = \"celery_active_workers{queue!=\\\"\\\"}\"\n  }\n"));
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    let flat = out.text().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Series not exported by the queue exporter") && flat.contains("\"celery_active_workers\""), "{}", out.text());
    assert!(flat.contains("series_query"), "{}", out.text());
    ws.write_config(&adapter(""));
    ws.destroy();
}
