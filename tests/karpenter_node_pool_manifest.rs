//! Acceptance tests of `autoscale_karpenter_node_pool_manifest` under the real terraform: the
//! seed's batch pool on Karpenter, its EC2NodeClass and NodePool checked against Karpenter's v1
//! CRD schemas (v1.0.8 and v1.14.1), known at plan time; the five checks (apply, empty plan,
//! import from the file, drift of the output file, destroy); an update; a template override
//! whose output is still checked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use acceptance::crd_schema::{self, CrdVersion};
use acceptance::{Workspace, repo_root};

const TYPE: &str = "autoscale_karpenter_node_pool_manifest";

/// The seed's batch pool: Spot c5-class xlarge nodes labelled and tainted for batch, capped at
/// the CPU and memory of 50 c5.xlarge; with a startup taint, a scheduled budget, a root volume,
/// IMDS options and tags so every part of both objects is rendered.
fn batch_pool(output: &Path, consolidate_after: &str) -> String {
    format!(
        r#"
resource "autoscale_karpenter_node_pool_manifest" "batch" {{
  name           = "batch-spot"
  cluster_name   = "production"
  role           = "KarpenterNodeRole-production"
  capacity_types = ["SPOT", "ON_DEMAND"]
  instance_types = ["c5.xlarge", "c5a.xlarge", "c5n.xlarge", "c5d.xlarge"]
  architectures  = ["amd64"]
  labels         = {{ workload = "batch", "cost-optimization" = "spot" }}
  limits         = {{ cpu = "200", memory = "400Gi" }}
  weight         = 10

  consolidation_policy = "WhenEmptyOrUnderutilized"
  consolidate_after    = "{consolidate_after}"

  requirement {{
    key      = "topology.kubernetes.io/zone"
    operator = "In"
    values   = ["eu-west-1a", "eu-west-1b"]
  }}

  taint {{
    key    = "workload"
    value  = "batch"
    effect = "NO_SCHEDULE"
  }}
  startup_taint {{
    key    = "node.cilium.io/agent-not-ready"
    value  = "true"
    effect = "NO_EXECUTE"
  }}

  budget {{
    nodes = "10%"
  }}
  budget {{
    nodes    = "0"
    schedule = "0 8 * * 1-5"
    duration = "10h"
    reasons  = ["Underutilized"]
  }}

  block_device_mapping {{
    device_name = "/dev/xvda"
    root_volume = true
    volume_size = "50Gi"
    volume_type = "gp3"
    encrypted   = true
  }}
  metadata_options {{
    http_put_response_hop_limit = 2
  }}
  tags        = {{ team = "batch" }}
  output_path = "{output}"
}}
"#,
        output = output.display()
    )
}

fn crds(name: &str) -> Vec<Vec<CrdVersion>> {
    ["v1.0.8", "v1.14.1"].iter().map(|tag| crd_schema::load(repo_root().join(format!("tests/fixtures/crds/karpenter/{name}.{tag}.yaml")))).collect()
}

/// Both objects pass the v1 schema of both Karpenter releases.
fn assert_valid_for_karpenter(yaml: &str) {
    for (name, kind) in [("karpenter.sh_nodepools", "NodePool"), ("karpenter.k8s.aws_ec2nodeclasses", "EC2NodeClass")] {
        for versions in crds(name) {
            let (checked, errors) = crd_schema::validate_documents(&versions, yaml);
            assert_eq!(checked, 1, "one {kind} in:\n{yaml}");
            assert!(errors.is_empty(), "{kind} breaks its CRD schema:\n{}\n{yaml}", errors.join("\n"));
        }
    }
}

fn out_file(ws: &Workspace) -> PathBuf {
    ws.path().join("out/karpenter-batch.yaml")
}

#[test]
fn the_crd_check_catches_what_karpenter_would_refuse() {
    // Guards the guard: a misspelt field, a wrong type and a bad enum are each refused.
    let versions = &crds("karpenter.sh_nodepools")[1];
    let bad = "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: x}\nspec:\n  weight: \"10\"\n  template:\n    spec:\n      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: x}\n      requirements: [{key: a, operator: Above}]\n      expireAfter: 720h\n      taint: []\n";
    let (_, errors) = crd_schema::validate_documents(versions, bad);
    for needle in ["spec.weight: expected integer", "operator: \"Above\" is not one of", "spec.template.spec.taint: unknown field"] {
        assert!(errors.iter().any(|e| e.contains(needle)), "no {needle:?} in {errors:#?}");
    }
}

#[test]
fn basic_schema_import_and_destroy() {
    let ws = Workspace::empty();
    let file = out_file(&ws);
    ws.write_config(&batch_pool(&file, "10m"));

    // The manifest is known at plan time, so the plan shows it.
    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("kind: NodePool") && plan.stdout.contains("consolidateAfter: \"10m\""), "plan does not show the manifest:\n{}", plan.stdout);

    ws.apply();
    let attrs = ws.attrs(&format!("{TYPE}.batch"));
    let yaml = attrs["yaml"].as_str().unwrap();
    assert_valid_for_karpenter(yaml);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), yaml);
    assert_eq!(attrs["id"], "batch-spot");
    assert_eq!(attrs["node_class_name"], "batch-spot");
    assert_eq!(attrs["ami_alias"], "al2023@latest");
    assert_eq!(attrs["subnet_selector_tags"], serde_json::json!({ "karpenter.sh/discovery": "production" }));
    assert_eq!(attrs["sha256"], attrs["output_file_sha256"]);
    assert_eq!(attrs["documents"].as_array().map(Vec::len), Some(2));
    let docs = autoscale::render::parse_documents(yaml).unwrap();
    let spec = &docs[1]["spec"]["template"]["spec"];
    assert_eq!(spec["requirements"][0]["values"], serde_json::json!(["spot", "on-demand"]));
    assert_eq!(spec["taints"][0]["effect"], "NoSchedule");
    assert_eq!(spec["startupTaints"][0]["effect"], "NoExecute");
    assert_eq!(docs[0]["spec"]["metadataOptions"]["httpPutResponseHopLimit"], 2);
    ws.assert_no_changes();

    ws.assert_import_verifies(&format!("{TYPE}.batch"), file.to_str().unwrap(), &[]);

    ws.destroy();
    assert!(!file.exists(), "destroy left {}", file.display());
}

#[test]
fn edited_or_deleted_file_is_drift_and_apply_restores_it() {
    let ws = Workspace::empty();
    let file = out_file(&ws);
    ws.write_config(&batch_pool(&file, "10m"));
    ws.apply();
    let yaml = std::fs::read_to_string(&file).unwrap();

    ws.assert_output_file_drift_repaired(&file, &yaml.replace("cpu: \"200\"", "cpu: \"2000\""));
    ws.destroy();
}

#[test]
fn update_shows_the_new_manifest_in_the_plan() {
    let ws = Workspace::empty();
    let file = out_file(&ws);
    ws.write_config(&batch_pool(&file, "10m"));
    ws.apply();
    ws.write_config(&batch_pool(&file, "30s"));
    ws.assert_changes(&["consolidateAfter: \"30s\""]);
    ws.apply();
    assert!(std::fs::read_to_string(&file).unwrap().contains("consolidateAfter: \"30s\""));
    ws.assert_no_changes();
    ws.destroy();
}

#[test]
fn templates_dir_override_is_used_and_its_output_checked() {
    let ws = Workspace::empty();
    let templates = ws.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let builtin = std::fs::read_to_string(repo_root().join("templates/karpenter_node_pool.yaml.hbs")).unwrap();
    std::fs::write(templates.join("karpenter_node_pool.yaml.hbs"), builtin.replace("kind: NodePool\n", "kind: NodePool\n# reviewed by the platform team\n")).unwrap();
    let file = out_file(&ws);
    let header = format!(
        "terraform {{\n  required_providers {{\n    autoscale = {{ source = \"autoscale/autoscale\" }}\n  }}\n}}\n\nprovider \"autoscale\" {{\n  templates_dir = \"{}\"\n}}\n",
        templates.display()
    );
    ws.write_raw_config(&format!("{header}{}", batch_pool(&file, "10m")));
    ws.apply();
    assert!(std::fs::read_to_string(&file).unwrap().contains("# reviewed by the platform team"));
    ws.assert_no_changes();

    // A template that drops the NodePool fails the plan.
    std::fs::write(templates.join("karpenter_node_pool.yaml.hbs"), builtin.replace("kind: NodePool\n", "kind: NodePoolTemplate\n")).unwrap();
    let out = ws.plan(&[]);
    assert_eq!(out.code, 1, "{}", out.text());
    assert!(out.text().contains("no NodePool was rendered"), "{}", out.text());
    std::fs::write(templates.join("karpenter_node_pool.yaml.hbs"), &builtin).unwrap();
    ws.destroy();
}

/// Defaults only: the smallest configuration renders objects both CRDs accept (discovery-tag
/// selectors, al2023@latest, Spot only, consolidateAfter 0s, expireAfter 720h).
#[test]
fn the_smallest_configuration_is_a_valid_pool() {
    let ws = Workspace::empty();
    ws.write_config(&format!("resource \"{TYPE}\" \"min\" {{\n  name         = \"default\"\n  cluster_name = \"prod\"\n  role         = \"KarpenterNodeRole-prod\"\n}}\n"));
    ws.apply();
    let attrs = ws.attrs(&format!("{TYPE}.min"));
    let yaml = attrs["yaml"].as_str().unwrap();
    assert_valid_for_karpenter(yaml);
    assert!(yaml.contains(r#"{"tags": {"karpenter.sh/discovery": "prod"}}"#) && yaml.contains(r#"{"alias": "al2023@latest"}"#) && yaml.contains(r#"values: ["spot"]"#), "{yaml}");
    ws.assert_no_changes();
    ws.destroy();
}
