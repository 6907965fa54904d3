//! Acceptance tests for `autoscale_hpa_simulation`: the real terraform binary reads the data
//! source at plan time. No AWS call is involved; the emulator only backs the provider block.

use acceptance::Workspace;

/// The seed's API HPA (the same manifest the simulation's seed report runs).
const API_HPA: &str = include_str!("fixtures/seed/api-hpa.yaml");

fn config(body: &str) -> String {
    format!("locals {{\n  api_hpa = <<-EOT\n{API_HPA}  EOT\n}}\n\n{body}")
}

/// The output with Terraform's line wrapping and left rules undone, for matching sentences.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn output_json(ws: &Workspace) -> serde_json::Value {
    let out = ws.tf(&["output", "-json"]);
    assert_eq!(out.code, 0, "{}", out.text());
    serde_json::from_str(&out.stdout).expect("output JSON")
}

#[test]
fn basic_spike_outputs_time_to_max_and_peak() {
    let ws = Workspace::new(&config(
        r#"
data "autoscale_hpa_simulation" "spike" {
  hpa_yaml         = local.api_hpa
  profile          = "spike"
  per_pod_capacity = 60

  expect {
    replicas       = 48
    within_seconds = 60
    from_seconds   = 120
  }
}

output "time_to_max"  { value = data.autoscale_hpa_simulation.spike.time_to_max }
output "peak"         { value = data.autoscale_hpa_simulation.spike.peak_replicas }
output "met"          { value = data.autoscale_hpa_simulation.spike.expect[0].met }
output "reached"      { value = data.autoscale_hpa_simulation.spike.expect[0].reached_after_seconds }
output "at_165"       { value = [for p in data.autoscale_hpa_simulation.spike.timeline : p.desired_replicas if p.time_seconds == 165][0] }
output "syncs"        { value = length(data.autoscale_hpa_simulation.spike.timeline) }
output "initial"      { value = data.autoscale_hpa_simulation.spike.initial_replicas }
output "max_replicas" { value = data.autoscale_hpa_simulation.spike.max_replicas }
"#,
    ));
    ws.apply();
    let outputs = output_json(&ws);
    // The one-minute spike holds four syncs: 2 → 6 → 12 → 24 → 48; 50 is never asked for.
    assert_eq!(outputs["time_to_max"]["value"], serde_json::Value::Null, "{outputs:#}");
    assert_eq!(outputs["peak"]["value"], 48, "{outputs:#}");
    assert_eq!(outputs["met"]["value"], true, "{outputs:#}");
    assert_eq!(outputs["reached"]["value"], 45, "{outputs:#}");
    assert_eq!(outputs["at_165"]["value"], 48, "{outputs:#}");
    assert_eq!(outputs["syncs"]["value"], 20, "{outputs:#}");
    assert_eq!(outputs["initial"]["value"], 2, "{outputs:#}");
    assert_eq!(outputs["max_replicas"]["value"], 50, "{outputs:#}");
    ws.assert_no_changes();
}

#[test]
fn typed_hpa_with_nodes_reaches_max_when_the_spike_lasts() {
    let ws = Workspace::new(
        r#"
data "autoscale_hpa_simulation" "typed" {
  min_replicas = 2
  max_replicas = 50
  metric {
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }
  behavior {
    scale_up {
      policy {
        type           = "Pods"
        value          = 4
        period_seconds = 15
      }
      policy {
        type           = "Percent"
        value          = 100
        period_seconds = 15
      }
    }
  }

  step {
    duration_seconds    = 600
    requests_per_second = 10000
  }
  per_pod_capacity    = 60
  pod_startup_seconds = 30
  node_group {
    pods_per_node           = 10
    max_nodes               = 5
    provision_delay_seconds = 120
  }
}

output "time_to_max"       { value = data.autoscale_hpa_simulation.typed.time_to_max }
output "time_to_max_ready" { value = data.autoscale_hpa_simulation.typed.time_to_max_ready }
output "peak_nodes"        { value = data.autoscale_hpa_simulation.typed.peak_nodes }
output "initial_nodes"     { value = data.autoscale_hpa_simulation.typed.node_group.initial_nodes }
"#,
    );
    ws.apply();
    let outputs = output_json(&ws);
    // 2 → 6 → 12 → 24 → 48 → 50 at 0…60 s. One node holds the first 10 pods; the autoscaler
    // asks for one node at 15 s (ready at 135 s), one at 30 s (150 s) and the last two of the
    // five at 45 s (165 s); the last 20 pods start at 165 s and are ready 30 s later.
    assert_eq!(outputs["time_to_max"]["value"], 60, "{outputs:#}");
    assert_eq!(outputs["time_to_max_ready"]["value"], 195, "{outputs:#}");
    assert_eq!(outputs["peak_nodes"]["value"], 5, "{outputs:#}");
    assert_eq!(outputs["initial_nodes"]["value"], 1, "{outputs:#}");
}

#[test]
fn an_unmet_expectation_fails_the_plan_with_the_timeline() {
    let ws = Workspace::new(&config(
        r#"
data "autoscale_hpa_simulation" "spike" {
  hpa_yaml         = local.api_hpa
  profile          = "spike"
  per_pod_capacity = 60

  expect {
    replicas       = 50
    within_seconds = 120
    from_seconds   = 120
  }
}
"#,
    ));
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "the plan should fail:\n{}", out.text());
    let text = out.text();
    assert!(flat(&text).contains("The HPA does not reach 50 ready pods within 120 s of t = 120 s"), "{text}");
    assert!(flat(&text).contains("Under the spike profile, 50 ready pods are never reached in the 300 s simulated (peak: 48 desired replicas)"), "{text}");
    // The timeline table: the spike's four syncs.
    assert!(text.contains("time  desired  ready  pending  load"), "{text}");
    assert!(text.contains("120s        6      6        0  10000 rps"), "{text}");
    assert!(text.contains("165s       48     48        0  10000 rps"), "{text}");
    assert!(text.contains("with data.autoscale_hpa_simulation.spike"), "the diagnostic names the data source:\n{text}");
}

#[test]
fn an_unmet_expectation_with_severity_warning_only_warns() {
    let ws = Workspace::new(&config(
        r#"
data "autoscale_hpa_simulation" "spike" {
  hpa_yaml         = local.api_hpa
  profile          = "spike"
  per_pod_capacity = 60

  expect {
    replicas       = 50
    within_seconds = 120
    from_seconds   = 120
    severity       = "warning"
  }
}

output "met" { value = data.autoscale_hpa_simulation.spike.expect[0].met }
"#,
    ));
    let out = ws.apply();
    assert!(flat(&out.text()).contains("Warning: The HPA does not reach 50 ready pods"), "{}", out.text());
    assert_eq!(output_json(&ws)["met"]["value"], false);
}

/// Plans `body` and asserts it fails with every needle in the output.
fn assert_plan_fails(body: &str, needles: &[&str]) {
    let ws = Workspace::new(&config(body));
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "the plan should fail:\n{}", out.text());
    let text = flat(&out.text());
    for needle in needles {
        assert!(text.contains(needle), "missing {needle:?} in:\n{}", out.text());
    }
}

#[test]
fn unknown_profile_name_is_a_plan_error_naming_the_attribute() {
    assert_plan_fails(
        r#"
data "autoscale_hpa_simulation" "bad" {
  hpa_yaml         = local.api_hpa
  profile          = "burst"
  per_pod_capacity = 60
}
"#,
        &["profile", "\"burst\"", "`sustained`, `spike`, `ramp`"],
    );
}

#[test]
fn max_below_min_in_the_yaml_is_a_plan_error_naming_the_attribute() {
    assert_plan_fails(
        r#"
data "autoscale_hpa_simulation" "bad" {
  hpa_yaml         = replace(local.api_hpa, "maxReplicas: 50", "maxReplicas: 1")
  profile          = "spike"
  per_pod_capacity = 60
}
"#,
        &["Invalid HPA", "hpa_yaml", "spec.maxReplicas is 1 but must be greater than or equal to minReplicas (2)"],
    );
}

#[test]
fn negative_capacity_is_a_plan_error_naming_the_attribute() {
    assert_plan_fails(
        r#"
data "autoscale_hpa_simulation" "bad" {
  hpa_yaml         = local.api_hpa
  profile          = "spike"
  per_pod_capacity = -5
}
"#,
        &["per_pod_capacity", "per_pod_capacity is -5, but it must be greater than 0"],
    );
}

#[test]
fn a_step_that_drives_no_metric_is_a_plan_error_naming_the_step() {
    assert_plan_fails(
        r#"
data "autoscale_hpa_simulation" "bad" {
  hpa_yaml = local.api_hpa
  step {
    duration_seconds = 60
    queue_depth      = 5000
  }
}
"#,
        &["Invalid load profile", "step[0] (queue 5000) drives none of the HPA's metrics (Resource cpu, Resource memory)"],
    );
}

/// A KEDA ScaledObject's YAML (from `autoscale_keda_scaled_object_manifest`) is simulated as the
/// HPA KEDA generates plus KEDA's step from and to zero: a backlog arriving at 10 s while the
/// worker is idle gets its first pod at the poll at 30 s, and once the queue is empty (from
/// 300 s; last active poll at 270 s) the worker is back at zero at 270 + 300 = 570 s.
#[test]
fn keda_scaled_object_leaves_zero_on_a_poll_and_returns_after_the_cooldown() {
    let ws = Workspace::new(
        r#"
resource "autoscale_keda_scaled_object_manifest" "worker" {
  name              = "worker"
  max_replica_count = 100
  polling_interval  = 30
  cooldown_period   = 300

  target {
    kind = "Deployment"
    name = "worker"
  }

  trigger {
    redis {
      address     = "redis:6379"
      list_name   = "celery"
      list_length = 100
    }
  }
}

data "autoscale_hpa_simulation" "worker" {
  hpa_yaml         = autoscale_keda_scaled_object_manifest.worker.yaml
  initial_replicas = 0

  step {
    duration_seconds = 10
    queue_depth      = 0
  }
  step {
    duration_seconds = 290
    queue_depth      = 5000
  }
  step {
    duration_seconds = 600
    queue_depth      = 0
  }
}

output "points" { value = [for p in data.autoscale_hpa_simulation.worker.timeline : [p.time_seconds, p.desired_replicas]] }
output "peak"   { value = data.autoscale_hpa_simulation.worker.peak_replicas }
"#,
    );
    ws.apply();
    let outputs = output_json(&ws);
    let points: Vec<(u64, u64)> = outputs["points"]["value"].as_array().expect("points").iter().map(|p| (p[0].as_u64().unwrap_or(0), p[1].as_u64().unwrap_or(0))).collect();
    let at = |t: u64| points.iter().rev().find(|(time, _)| *time <= t).map(|(_, r)| *r).expect("a point");
    assert_eq!(at(0), 0, "{points:?}");
    assert_eq!(at(29), 0, "{points:?}");
    assert!(at(30) >= 1, "the poll at 30 s activates the worker: {points:?}");
    assert_eq!(outputs["peak"]["value"], 50, "{outputs:#}");
    assert!(at(569) >= 1, "{points:?}");
    assert_eq!(at(570), 0, "zero at the first poll 300 s after the last active one: {points:?}");
    assert!(points.iter().filter(|(t, _)| *t >= 570).all(|(_, r)| *r == 0), "{points:?}");
    ws.assert_no_changes();
}

/// The typed HPA above (2 → 6 → 12 → 24 → 48 → 50 at 0…60 s under 10 000 req/s) with its node
/// group on Karpenter, `max_replicas` as given and `pods_per_node` per node.
fn karpenter_config(max_replicas: u32, pods_per_node: u32) -> String {
    format!(
        r#"
data "autoscale_hpa_simulation" "karpenter" {{
  min_replicas = 2
  max_replicas = {max_replicas}
  metric {{
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }}
  behavior {{
    scale_up {{
      policy {{
        type           = "Pods"
        value          = 4
        period_seconds = 15
      }}
      policy {{
        type           = "Percent"
        value          = 100
        period_seconds = 15
      }}
    }}
  }}

  step {{
    duration_seconds    = 600
    requests_per_second = 10000
  }}
  per_pod_capacity    = 60
  pod_startup_seconds = 30
  node_group {{
    provisioner   = "karpenter"
    pods_per_node = {pods_per_node}
    max_nodes     = 5
  }}
}}

output "time_to_max"       {{ value = data.autoscale_hpa_simulation.karpenter.time_to_max }}
output "time_to_max_ready" {{ value = data.autoscale_hpa_simulation.karpenter.time_to_max_ready }}
output "peak_nodes"        {{ value = data.autoscale_hpa_simulation.karpenter.peak_nodes }}
output "launch_delay"      {{ value = data.autoscale_hpa_simulation.karpenter.node_group.provision_delay_seconds }}
output "pending_at_60"     {{ value = [for p in data.autoscale_hpa_simulation.karpenter.timeline : p.pending_pods if p.time_seconds == 60][0] }}
"#
    )
}

/// Issue 18, a batch that fits one node: 4 pods per node, one node at t = 0. The HPA asks for 6
/// at 0 s; 2 do not fit, so a batch opens and closes 1 s later (Karpenter's idle default); one
/// node sized for 2 is ready 60 s after that (the default launch delay), at 61 s, and its pods are
/// ready 30 s later, at 91 s.
#[test]
fn karpenter_batch_fitting_one_node() {
    let ws = Workspace::new(&karpenter_config(6, 4));
    ws.apply();
    let outputs = output_json(&ws);
    assert_eq!(outputs["time_to_max"]["value"], 0, "{outputs:#}");
    assert_eq!(outputs["time_to_max_ready"]["value"], 91, "{outputs:#}");
    assert_eq!(outputs["peak_nodes"]["value"], 2, "{outputs:#}");
    assert_eq!(outputs["launch_delay"]["value"], 60, "{outputs:#}");
    assert_eq!(outputs["pending_at_60"]["value"], 2, "{outputs:#}");
}

/// Issue 18, batches that need several nodes: 10 pods per node, limits of 5 nodes' worth (50
/// pods). The first node holds 10; the batches close 1 s after each sync: 2 pods at 16 s (a node
/// for 2, ready 76 s), 12 at 31 s (a node of 10 and one of 2, ready 91 s), 24 at 46 s (two of 10
/// and one of 4, ready 106 s), 2 at 61 s (one of 2, ready 121 s). The last pods are ready at
/// 151 s — the Cluster Autoscaler's 195 s in `typed_hpa_with_nodes_reaches_max_when_the_spike_lasts`
/// — on 8 nodes, the small ones sized for their batch.
#[test]
fn karpenter_batches_needing_several_nodes() {
    let ws = Workspace::new(&karpenter_config(50, 10));
    ws.apply();
    let outputs = output_json(&ws);
    assert_eq!(outputs["time_to_max"]["value"], 60, "{outputs:#}");
    assert_eq!(outputs["time_to_max_ready"]["value"], 151, "{outputs:#}");
    assert_eq!(outputs["peak_nodes"]["value"], 8, "{outputs:#}");
    assert_eq!(outputs["pending_at_60"]["value"], 40, "{outputs:#}");
    ws.assert_no_changes();
}
