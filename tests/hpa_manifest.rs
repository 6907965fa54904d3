//! Acceptance tests of `autoscale_hpa_manifest` under the real terraform: the seed's API and
//! worker HPAs against their golden files, the rendered YAML known at plan time, output_path
//! drift (edited or deleted file → plan exit 2 → apply restores), import from the file,
//! destroy removing it, the adapter `served_by` check, template overrides, and bad input
//! failing at plan with the attribute named.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use acceptance::{WORKER_BEHAVIOR, Workspace, assert_golden, repo_root};

/// The seed's API HPA: 2–50 pods on CPU 70 % and memory 80 %; scale up at once by 100 % or 4
/// pods per 15 s, scale down after 5 minutes by 50 % per 15 s.
fn api_hpa(output: &Path, max_replicas: u32) -> String {
    format!(
        r#"
resource "autoscale_hpa_manifest" "api" {{
  name         = "api"
  namespace    = "production"
  labels       = {{ "app.kubernetes.io/name" = "api" }}
  min_replicas = 2
  max_replicas = {max_replicas}
  output_path  = "{output}"

  target {{
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "api"
  }}

  metric {{
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }}
  metric {{
    type                = "Resource"
    name                = "memory"
    average_utilization = 80
  }}

  behavior {{
    scale_up {{
      stabilization_window_seconds = 0
      select_policy                = "Max"
      policy {{
        type           = "Percent"
        value          = 100
        period_seconds = 15
      }}
      policy {{
        type           = "Pods"
        value          = 4
        period_seconds = 15
      }}
    }}
    scale_down {{
      stabilization_window_seconds = 300
      policy {{
        type           = "Percent"
        value          = 50
        period_seconds = 15
      }}
    }}
  }}
}}
"#,
        output = output.display()
    )
}

/// The seed's adapter rule and worker HPA: 2–100 pods on a queue depth of 100 jobs per pod with a
/// CPU 70 % fallback; scale up by 200 % or 10 pods per 30 s, down after 10 minutes by 25 % per
/// 60 s. `served` is the metric name the adapter serves.
fn worker(dir: &Path, served: &str) -> String {
    format!(
        r#"
resource "autoscale_prometheus_adapter_manifest" "celery" {{
  name        = "prometheus-adapter"
  namespace   = "monitoring"
  output_path = "{dir}/prometheus-adapter.yaml"

  external_rule {{
    metric_name  = "{served}"
    series_query = "celery_queue_depth{{queue!=\"\"}}"
    namespaced   = false
    aggregation  = "sum"
    window       = "2m"
  }}
}}

resource "autoscale_hpa_manifest" "worker" {{
  name                       = "worker"
  namespace                  = "production"
  labels                     = {{ "app.kubernetes.io/name" = "worker" }}
  min_replicas               = 2
  max_replicas               = 100
  external_metrics_served_by = autoscale_prometheus_adapter_manifest.celery.yaml
  output_path                = "{dir}/worker-hpa.yaml"

  target {{
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "worker"
  }}

  metric {{
    type          = "External"
    name          = "celery_queue_depth"
    selector      = {{ queue = "celery" }}
    average_value = "100"
  }}
  metric {{
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }}

{behavior}}}
"#,
        dir = dir.display(),
        behavior = WORKER_BEHAVIOR,
    )
}

fn out_dir(ws: &Workspace) -> PathBuf {
    ws.path().join("out")
}

#[test]
fn basic_golden_import_and_destroy() {
    let ws = Workspace::empty();
    let file = out_dir(&ws).join("api-hpa.yaml");
    ws.write_config(&api_hpa(&file, 50));

    // The manifest is known at plan time, so the plan shows it.
    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("maxReplicas: 50") && plan.stdout.contains("averageUtilization: 70"), "plan does not show the manifest:\n{}", plan.stdout);

    ws.apply();
    let attrs = ws.attrs("autoscale_hpa_manifest.api");
    let yaml = attrs["yaml"].as_str().unwrap();
    assert_golden("api-hpa.yaml", yaml);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), yaml);
    assert_eq!(attrs["id"], "production/api");
    assert_eq!(attrs["sha256"], attrs["output_file_sha256"]);
    assert_eq!(attrs["json"], serde_json::Value::Null, "json is kept only when render_json asks for it");
    ws.assert_no_changes();

    ws.assert_import_verifies("autoscale_hpa_manifest.api", file.to_str().unwrap(), &[]);

    ws.destroy();
    assert!(!file.exists(), "destroy left {}", file.display());
}

/// An empty `behavior {}` is not an absent one in autoscaling/v2: Kubernetes gives it the default
/// policies in both directions, while an HPA without behavior scales the legacy way. So the
/// manifest says `behavior: {}`, the JSON holds an empty object, and import reads the block back.
#[test]
fn empty_behavior_block_reaches_the_manifest_and_survives_import() {
    let ws = Workspace::empty();
    let file = out_dir(&ws).join("web-hpa.yaml");
    ws.write_config(&format!(
        r#"
resource "autoscale_hpa_manifest" "web" {{
  name         = "web"
  min_replicas = 1
  max_replicas = 10
  output_path  = "{}"

  target {{
    api_version = "apps/v1"
    kind        = "Deployment"
    name        = "web"
  }}

  metric {{
    type                = "Resource"
    name                = "cpu"
    average_utilization = 60
  }}

  behavior {{}}
  render_json = true
}}
"#,
        file.display()
    ));
    ws.apply();
    let attrs = ws.attrs("autoscale_hpa_manifest.web");
    let yaml = attrs["yaml"].as_str().unwrap();
    assert!(yaml.lines().any(|line| line.trim() == "behavior: {}"), "the empty behavior is missing from the manifest:\n{yaml}");
    let json: serde_json::Value = serde_json::from_str(attrs["json"].as_str().unwrap()).unwrap();
    assert_eq!(json["spec"]["behavior"], serde_json::json!({}), "{json}");
    ws.assert_no_changes();
    // A file cannot say whether JSON was asked for, so import reads `render_json` as its default:
    // verify the import of the configuration without it.
    ws.write_raw_config(&std::fs::read_to_string(ws.path().join("main.tf")).unwrap().replace("  render_json = true\n", ""));
    ws.apply();
    assert_eq!(ws.attrs("autoscale_hpa_manifest.web")["json"], serde_json::Value::Null);
    ws.assert_import_verifies("autoscale_hpa_manifest.web", file.to_str().unwrap(), &[]);
    ws.destroy();
}

#[test]
fn edited_or_deleted_file_is_drift_and_apply_restores_it() {
    let ws = Workspace::empty();
    let file = out_dir(&ws).join("api-hpa.yaml");
    ws.write_config(&api_hpa(&file, 50));
    ws.apply();
    let yaml = std::fs::read_to_string(&file).unwrap();

    ws.assert_output_file_drift_repaired(&file, &yaml.replace("maxReplicas: 50", "maxReplicas: 500"));
    ws.destroy();
}

#[test]
fn update_shows_the_new_manifest_in_the_plan() {
    let ws = Workspace::empty();
    let file = out_dir(&ws).join("api-hpa.yaml");
    ws.write_config(&api_hpa(&file, 50));
    ws.apply();
    ws.write_config(&api_hpa(&file, 60));
    let out = ws.assert_changes(&["maxReplicas: 60"]);
    assert!(!out.stdout.contains("must be replaced"), "{}", out.stdout);
    ws.apply();
    assert!(std::fs::read_to_string(&file).unwrap().contains("maxReplicas: 60"));
    ws.assert_no_changes();

    // Moving the file removes the old one.
    let moved = out_dir(&ws).join("moved/api.yaml");
    ws.write_config(&api_hpa(&moved, 60));
    ws.apply();
    assert!(moved.exists() && !file.exists());
    ws.destroy();
    assert!(!moved.exists());
}

#[test]
fn worker_hpa_served_by_the_adapter() {
    let ws = Workspace::empty();
    let dir = out_dir(&ws);
    ws.write_config(&worker(&dir, "celery_queue_depth"));
    ws.apply();
    let hpa = ws.attrs("autoscale_hpa_manifest.worker");
    assert_golden("worker-hpa.yaml", hpa["yaml"].as_str().unwrap());
    let adapter = ws.attrs("autoscale_prometheus_adapter_manifest.celery");
    assert_golden("prometheus-adapter.yaml", adapter["yaml"].as_str().unwrap());
    assert_eq!(adapter["external_metric_names"], serde_json::json!(["celery_queue_depth"]));
    ws.assert_no_changes();

    // Renaming the adapter's metric breaks the worker HPA: caught at plan, nothing written.
    ws.write_config(&worker(&dir, "celery_queue_length"));
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    let text = out.text();
    assert!(text.contains("External metric not served by the adapter") && text.contains("celery_queue_length"), "{text}");
    assert!(text.contains("name") && text.contains("\"celery_queue_depth\""), "{text}");
    ws.write_config(&worker(&dir, "celery_queue_depth"));
    ws.destroy();
}

#[test]
fn templates_dir_overrides_the_builtin_template_and_output_is_still_checked() {
    let ws = Workspace::empty();
    let templates = ws.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let builtin = std::fs::read_to_string(repo_root().join("templates/hpa.yaml.hbs")).unwrap();
    std::fs::write(templates.join("hpa.yaml.hbs"), builtin.replace("kind: HorizontalPodAutoscaler\n", "kind: HorizontalPodAutoscaler\n# reviewed by the platform team\n")).unwrap();
    let file = out_dir(&ws).join("api.yaml");
    let header = format!(
        "terraform {{\n  required_providers {{\n    autoscale = {{ source = \"autoscale/autoscale\" }}\n  }}\n}}\n\nprovider \"autoscale\" {{\n  templates_dir = \"{}\"\n}}\n",
        templates.display()
    );
    ws.write_raw_config(&format!("{header}{}", api_hpa(&file, 50)));
    ws.apply();
    assert!(std::fs::read_to_string(&file).unwrap().contains("# reviewed by the platform team"));
    ws.assert_no_changes();

    // A template producing an invalid HPA fails the plan.
    std::fs::write(templates.join("hpa.yaml.hbs"), builtin.replace("maxReplicas: {{yaml spec.maxReplicas}}", "maxReplicas: 0")).unwrap();
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    assert!(out.text().contains("The rendered HorizontalPodAutoscaler is invalid") && out.text().contains("max_replicas"), "{}", out.text());
    std::fs::write(templates.join("hpa.yaml.hbs"), &builtin).unwrap();
    ws.destroy();
}

/// Each bad configuration fails at plan with the attribute and the rule in the message.
#[test]
fn bad_input_fails_at_plan_naming_the_attribute() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("max_replicas = 50", "max_replicas = 0", &["max_replicas", "must be at least 1"]),
        ("min_replicas = 2", "min_replicas = 60", &["max_replicas", "greater than or equal to min_replicas"]),
        ("min_replicas = 2", "min_replicas = 0", &["min_replicas", "at least 1"]),
        ("stabilization_window_seconds = 300", "stabilization_window_seconds = 3601", &["stabilization_window_seconds", "between 0 and 3600"]),
        ("period_seconds = 15\n      }\n    }\n  }", "period_seconds = 1801\n      }\n    }\n  }", &["period_seconds", "between 1 and 1800"]),
        ("select_policy                = \"Max\"", "select_policy = \"Largest\"", &["select_policy", "must be one of"]),
        ("type           = \"Pods\"", "type = \"Nodes\"", &["type", "must be one of"]),
        ("value          = 4", "value = 0", &["value", "at least 1"]),
        ("name         = \"api\"", "name = \"API_v2\"", &["name", "not a valid Kubernetes name"]),
        ("\"app.kubernetes.io/name\" = \"api\"", "\"bad key!\" = \"api\"", &["labels", "not a valid label key"]),
        ("name                = \"memory\"\n    average_utilization = 80", "name = \"memory\"\n    average_utilization = 80\n    average_value = \"1Gi\"", &["average_value", "exactly one of"]),
        ("type                = \"Resource\"\n    name                = \"memory\"", "type = \"External\"\n    name = \"memory\"", &["average_utilization", "only for Resource and ContainerResource"]),
        ("average_utilization = 80", "average_utilization = 0", &["average_utilization", "greater than 0"]),
    ];
    let ws = Workspace::empty();
    let file = out_dir(&ws).join("api.yaml");
    let good = api_hpa(&file, 50);
    for (from, to, expect) in cases {
        assert!(good.contains(from), "case {from:?} does not apply");
        ws.write_config(&good.replacen(from, to, 1));
        let out = ws.plan(&[]);
        assert_eq!(out.code, 1, "{to:?} should fail the plan:\n{}", out.text());
        let text = out.text();
        // Terraform wraps long messages: compare with whitespace collapsed.
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in *expect {
            assert!(flat.contains(needle), "{to:?}: the error does not mention {needle:?}:\n{text}");
        }
        assert!(!text.contains("panic") && !text.contains("Provider bug"), "{text}");
        assert_eq!(text.matches("Error: ").count(), 1, "{to:?}: one mistake, one error:\n{text}");
    }
    // A policy-less rules block is refused too.
    let no_policy = good.replace(
        "      stabilization_window_seconds = 300\n      policy {\n        type           = \"Percent\"\n        value          = 50\n        period_seconds = 15\n      }\n",
        "      stabilization_window_seconds = 300\n",
    );
    assert_ne!(no_policy, good);
    ws.write_config(&no_policy);
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    assert!(out.text().contains("policy"), "{}", out.text());
    assert!(!file.exists(), "a failed plan wrote the file");
}

/// The seed's spike-test claim ("< 2 minutes to 50 pods") as a `check` block: the seed's API HPA
/// cannot meet it (2 → 6 → 12 → 24 → 48 during the one-minute spike), so the plan fails with
/// the simulated timeline; as a warning it only warns; a reachable target passes silently.
#[test]
fn check_block_fails_the_plan_with_the_simulated_timeline() {
    let ws = Workspace::new("");
    let out = out_dir(&ws);
    let with_check = |replicas: u32, severity: &str| {
        let config = api_hpa(&out.join("api-hpa.yaml"), 50);
        let check = format!(
            r#"
  check {{
    profile          = "spike"
    per_pod_capacity = 60
    replicas         = {replicas}
    within_seconds   = 120
    from_seconds     = 120
    severity         = "{severity}"
  }}
}}
"#
        );
        let end = config.rfind('}').unwrap();
        format!("{}{}", &config[..end], check)
    };

    ws.write_config(&with_check(50, "error"));
    let failed = ws.plan(&[]);
    assert_eq!(failed.code, 1, "{}", failed.text());
    let text = failed.text();
    assert!(text.contains("does not reach 50 ready pods"), "{text}");
    assert!(text.contains("Simulated timeline") && text.contains("48"), "{text}");
    assert!(!out.join("api-hpa.yaml").exists(), "a failed plan must write nothing");

    ws.write_config(&with_check(50, "warning"));
    let applied = ws.apply();
    assert!(applied.text().contains("Warning") && applied.text().contains("does not reach 50"), "{}", applied.text());

    ws.write_config(&with_check(24, "error"));
    let reachable = ws.apply();
    assert!(!reachable.text().contains("does not reach"), "{}", reachable.text());
    ws.assert_no_changes();
    ws.destroy();
}

/// State written by schema version 0 (which always kept `json`) upgrades to version 1 without a
/// planned change: the upgrade drops the JSON copy, and apply with `render_json = true` brings it
/// back.
#[test]
fn state_of_schema_version_0_upgrades_without_a_change() {
    let ws = Workspace::empty();
    let file = out_dir(&ws).join("api-hpa.yaml");
    ws.write_config(&api_hpa(&file, 50));
    ws.apply();

    // Make the state what version 0 wrote: no render_json, json filled, schema_version 0.
    let state_path = ws.path().join("terraform.tfstate");
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    let instance = &mut state["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1);
    instance["schema_version"] = 0.into();
    let attributes = instance["attributes"].as_object_mut().unwrap();
    attributes.remove("render_json");
    attributes.insert("json".into(), r#"{"apiVersion":"autoscaling/v2"}"#.into());
    std::fs::write(&state_path, serde_json::to_string_pretty(&state).unwrap()).unwrap();

    ws.assert_no_changes();
    let refreshed = ws.tf(&["apply", "-refresh-only", "-auto-approve", "-input=false"]);
    assert_eq!(refreshed.code, 0, "{}", refreshed.text());
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    let instance = &state["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1, "{instance}");
    assert_eq!(instance["attributes"]["json"], serde_json::Value::Null);
    assert_eq!(instance["attributes"]["render_json"], false);

    ws.write_config(&api_hpa(&file, 50).replacen("min_replicas = 2", "min_replicas = 2\n  render_json  = true", 1));
    ws.apply();
    let json: serde_json::Value = serde_json::from_str(ws.attrs("autoscale_hpa_manifest.api")["json"].as_str().unwrap()).unwrap();
    assert_eq!(json["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 300);
    ws.destroy();
}
