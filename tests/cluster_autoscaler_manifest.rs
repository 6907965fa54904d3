//! Acceptance tests of `autoscale_cluster_autoscaler_manifest` under the real terraform: the
//! seed's Cluster Autoscaler against its golden file, the image following the Kubernetes minor,
//! output_path drift, import from the file, destroy, and bad input failing at plan.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use acceptance::{Workspace, assert_golden};

/// The seed's Cluster Autoscaler: AWS, least-waste, ASG tag discovery, scale-down 10 minutes
/// after add, utilization threshold 0.5, 15 minutes to provision a node.
fn seed(output: &Path, version: &str) -> String {
    format!(
        r#"
resource "autoscale_cluster_autoscaler_manifest" "this" {{
  cluster_name                     = "production"
  kubernetes_version               = "{version}"
  iam_role_arn                     = "arn:aws:iam::123456789012:role/cluster-autoscaler"
  expander                         = ["least-waste"]
  skip_nodes_with_local_storage    = false
  balance_similar_node_groups      = true
  scale_down_delay_after_add       = "10m"
  scale_down_utilization_threshold = 0.5
  max_node_provision_time          = "15m"
  output_path                      = "{output}"
}}
"#,
        output = output.display()
    )
}

#[test]
fn basic_golden_drift_import_and_destroy() {
    let ws = Workspace::empty();
    let file = ws.path().join("out/cluster-autoscaler.yaml");
    ws.write_config(&seed(&file, "1.31"));
    let plan = ws.plan(&[]);
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("cluster-autoscaler:v1.31.2"), "the plan does not show the image:\n{}", plan.stdout);

    ws.apply();
    let attrs = ws.attrs("autoscale_cluster_autoscaler_manifest.this");
    let yaml = attrs["yaml"].as_str().unwrap();
    assert_golden("cluster-autoscaler.yaml", yaml);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), yaml);
    assert_eq!(attrs["image"], "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.2");
    assert_eq!(attrs["auto_discovery_tags"], serde_json::json!(["k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/production"]));
    let documents = attrs["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 6);
    assert!(documents[0].as_str().unwrap().contains("kind: ServiceAccount") && documents[0].as_str().unwrap().contains("eks.amazonaws.com/role-arn"));
    assert!(documents[5].as_str().unwrap().contains("kind: Deployment"));
    ws.assert_no_changes();

    ws.assert_import_verifies("autoscale_cluster_autoscaler_manifest.this", file.to_str().unwrap(), &[]);

    std::fs::write(&file, "tampered: true\n").unwrap();
    ws.assert_changes(&["output_file_sha256"]);
    ws.apply();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), yaml);
    std::fs::remove_file(&file).unwrap();
    ws.assert_changes(&["output_file_sha256"]);
    ws.apply();
    ws.assert_no_changes();

    ws.destroy();
    assert!(!file.exists());
}

#[test]
fn upgrading_kubernetes_changes_the_image_in_the_plan() {
    let ws = Workspace::empty();
    let file = ws.path().join("out/ca.yaml");
    ws.write_config(&seed(&file, "1.31"));
    ws.apply();
    ws.write_config(&seed(&file, "1.32"));
    ws.assert_changes(&["cluster-autoscaler:v1.32.5"]);
    ws.apply();
    assert!(std::fs::read_to_string(&file).unwrap().contains("cluster-autoscaler:v1.32.5"));
    ws.assert_no_changes();
    // An explicit image wins over the table.
    ws.write_config(&seed(&file, "1.32").replace("  output_path", "  image = \"registry.example/ca:v1.32.9\"\n  output_path"));
    ws.apply();
    assert!(std::fs::read_to_string(&file).unwrap().contains("image: registry.example/ca:v1.32.9"));
    ws.destroy();
}

#[test]
fn bad_input_fails_at_plan_naming_the_attribute() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("kubernetes_version               = \"1.31\"", "kubernetes_version = \"1.27\"", &["kubernetes_version", "no Cluster Autoscaler release is known", "set `image`"]),
        ("kubernetes_version               = \"1.31\"", "kubernetes_version = \"latest\"", &["kubernetes_version", "not a Kubernetes version"]),
        ("[\"least-waste\"]", "[\"cheapest\"]", &["expander", "must be one of"]),
        ("scale_down_delay_after_add       = \"10m\"", "scale_down_delay_after_add = \"10 minutes\"", &["scale_down_delay_after_add", "not a duration"]),
        ("scale_down_utilization_threshold = 0.5", "scale_down_utilization_threshold = 1.5", &["scale_down_utilization_threshold", "between 0 and 1"]),
        ("arn:aws:iam::123456789012:role/cluster-autoscaler", "cluster-autoscaler", &["iam_role_arn", "not an IAM role ARN"]),
        ("max_node_provision_time          = \"15m\"", "extra_args = [\"--expander=random\"]", &["extra_args", "typed argument `expander`"]),
        ("cluster_name                     = \"production\"", "cluster_name = \"prod cluster\"", &["cluster_name", "not an EKS cluster name"]),
    ];
    let ws = Workspace::empty();
    let file = ws.path().join("out/ca.yaml");
    let good = seed(&file, "1.31");
    for (from, to, expect) in cases {
        assert!(good.contains(from), "case {from:?} does not apply");
        ws.write_config(&good.replacen(from, to, 1));
        let out = ws.plan(&[]);
        assert_eq!(out.code, 1, "{to:?} should fail the plan:\n{}", out.text());
        let flat = out.text().split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in *expect {
            assert!(flat.contains(needle), "{to:?}: the error does not mention {needle:?}:\n{}", out.text());
        }
        assert_eq!(flat.matches("Error: ").count(), 1, "{to:?}: one mistake, one error:\n{}", out.text());
    }
    assert!(!file.exists());
}
