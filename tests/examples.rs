//! The examples: every folder under examples/ passes `terraform validate`, and the quickstart
//! (the seed's whole system) applies on the emulator, plans empty afterwards, and destroys.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use acceptance::{PROVIDER_HEADER, Workspace, aws, create_cluster, repo_root, run, unique};
use autoscale::aws::node_groups::{asg_names_of_node_group, find_node_group};
use serde_json::Value as Json;

/// The example folders the docs use plus the quickstart.
fn example_dirs() -> Vec<PathBuf> {
    let root = repo_root().join("examples");
    let mut dirs = vec![root.join("quickstart")];
    for kind in ["resources", "data-sources"] {
        let mut found: Vec<PathBuf> =
            std::fs::read_dir(root.join(kind)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
        found.sort();
        assert!(!found.is_empty(), "no examples under examples/{kind}");
        dirs.extend(found);
    }
    dirs
}

/// A workspace holding the `.tf` files of `dir`; the provider header is added when the example
/// does not declare the provider itself (the per-resource examples are fragments for the docs).
fn workspace_of(dir: &Path) -> Workspace {
    let ws = Workspace::empty();
    let mut declares_provider = false;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).unwrap();
            declares_provider |= text.contains("required_providers");
            std::fs::write(ws.path().join(path.file_name().unwrap()), text).unwrap();
        }
    }
    if !declares_provider {
        std::fs::write(ws.path().join("provider.tf"), PROVIDER_HEADER).unwrap();
    }
    ws
}

#[test]
fn every_example_validates() {
    let dirs = example_dirs();
    for dir in &dirs {
        let ws = workspace_of(dir);
        let out = ws.tf(&["validate"]);
        assert_eq!(out.code, 0, "{} does not validate:\n{}", dir.display(), out.text());
    }
    // Every resource and data source of the provider has its example folder.
    let names: Vec<String> = dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in [
        "autoscale_spot_node_group",
        "autoscale_asg_discovery_tags",
        "autoscale_scheduled_action",
        "autoscale_scaling_schedule",
        "autoscale_hpa_manifest",
        "autoscale_cluster_autoscaler_manifest",
        "autoscale_prometheus_adapter_manifest",
        "autoscale_hpa_simulation",
    ] {
        assert!(names.iter().any(|n| n == expected), "no example folder for {expected}: {names:?}");
    }
}

fn outputs(ws: &Workspace) -> Json {
    let out = ws.tf(&["output", "-json"]);
    assert_eq!(out.code, 0, "{}", out.text());
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn quickstart_applies_plans_empty_and_destroys() {
    let cluster = unique("quickstart");
    create_cluster(&cluster);
    let ws = workspace_of(&repo_root().join("examples/quickstart"));
    std::fs::write(ws.path().join("terraform.tfvars"), format!("cluster_name = \"{cluster}\"\n")).unwrap();

    let applied = ws.apply();
    // The seed's c5n.xlarge is flagged, not refused.
    assert!(applied.text().contains("c5n.xlarge has 4 vCPU and 10.5 GiB"), "{}", applied.text());
    ws.assert_no_changes();

    let out = outputs(&ws);
    let value = |name: &str| out[name]["value"].clone();
    assert_eq!(value("node_group_id"), Json::String(format!("{cluster}:batch-spot")));
    for group in ["batch", "staging", "dev"] {
        let names = value("asg_names")[group].as_array().cloned().unwrap_or_default();
        assert_eq!(names.len(), 1, "{group}: {names:?}");
    }
    // 5 × 50 h + 1 × 118 h = 368 of 840 instance-hours; 3 × 50 h of 504.
    assert_eq!(value("schedule_savings_percent")["staging"], serde_json::json!(56.19));
    assert_eq!(value("schedule_savings_percent")["dev"], serde_json::json!(70.24));
    let tags = value("discovery_tags");
    assert_eq!(tags["k8s.io/cluster-autoscaler/node-template/label/workload"], "batch");
    assert_eq!(tags["k8s.io/cluster-autoscaler/node-template/label/cost-optimization"], "spot");
    assert_eq!(tags["k8s.io/cluster-autoscaler/node-template/taint/workload"], "batch:NoSchedule");
    // The seed's API HPA doubles 6 → 12 → 24 → 48 (4 pods, then 100 % per 15 s) and the one-minute
    // spike ends before it asks for 50: the expectation is a warning, the plan shows it.
    let spike = value("api_spike");
    assert_eq!(spike["peak_replicas"], 48, "{spike}");
    assert_eq!(spike["time_to_max"], Json::Null, "{spike}");
    assert!(applied.text().contains("does not reach 50 ready pods within 120 s"), "{}", applied.text());

    // The manifests are on disk, where the outputs say.
    let paths = value("manifest_paths");
    for (name, expect) in [
        ("api_hpa", "kind: HorizontalPodAutoscaler"),
        ("worker_hpa", "celery_queue_depth"),
        ("prometheus_adapter", "celery_queue_depth"),
        ("cluster_autoscaler", "--expander=least-waste"),
    ] {
        let path = ws.path().join(paths[name].as_str().unwrap());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(text.contains(expect), "{name} lacks {expect:?}:\n{text}");
    }

    // The tags really are on the Spot group's ASG in the emulator.
    let clients = aws();
    let batch_asgs = run(asg_names_of_node_group(&clients.eks, &cluster, "batch-spot")).unwrap();
    let live: Vec<(String, String)> = run(async {
        let filter = aws_sdk_autoscaling::types::Filter::builder().name("auto-scaling-group").set_values(Some(batch_asgs.clone())).build();
        let tags = clients.autoscaling.describe_tags().filters(filter).max_records(100).send().await.unwrap();
        tags.tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string()))
            .collect()
    });
    assert!(live.contains(&("k8s.io/cluster-autoscaler/node-template/taint/workload".into(), "batch:NoSchedule".into())), "{live:?}");

    ws.destroy();
    for group in ["batch-spot", "staging", "dev"] {
        assert!(run(find_node_group(&clients.eks, &cluster, group)).unwrap().is_none(), "{group} survived destroy");
    }
    assert!(!ws.path().join("out/api-hpa.yaml").exists(), "destroy leaves the manifest files");
}
