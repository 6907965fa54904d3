//! Acceptance tests of `autoscale_cluster_autoscaler_manifest` under the real terraform: the
//! seed's Cluster Autoscaler against its golden file, the image following the Kubernetes minor,
//! output_path drift, import from the file, destroy, bad input failing at plan, and a namespace
//! other than kube-system reaching the autoscaler's `--namespace` and every namespaced object.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use acceptance::{Workspace, assert_golden};
use autoscale::render::parse_documents;
use serde_json::{Value as Json, json};

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
    assert!(plan.stdout.contains("cluster-autoscaler:v1.31.5"), "the plan does not show the image:\n{}", plan.stdout);

    ws.apply();
    let attrs = ws.attrs("autoscale_cluster_autoscaler_manifest.this");
    let yaml = attrs["yaml"].as_str().unwrap();
    assert_golden("cluster-autoscaler.yaml", yaml);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), yaml);
    assert_eq!(attrs["image"], "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.5");
    assert_eq!(attrs["auto_discovery_tags"], serde_json::json!(["k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/production"]));
    let documents = attrs["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 6);
    assert!(documents[0].as_str().unwrap().contains("kind: ServiceAccount") && documents[0].as_str().unwrap().contains("eks.amazonaws.com/role-arn"));
    assert!(documents[5].as_str().unwrap().contains("kind: Deployment"));
    ws.assert_no_changes();

    ws.assert_import_verifies("autoscale_cluster_autoscaler_manifest.this", file.to_str().unwrap(), &[]);

    ws.assert_output_file_drift_repaired(&file, "tampered: true\n");

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
    ws.assert_changes(&["cluster-autoscaler:v1.32.7"]);
    ws.apply();
    assert!(std::fs::read_to_string(&file).unwrap().contains("cluster-autoscaler:v1.32.7"));
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
        ("max_node_provision_time          = \"15m\"", "extra_args = [\"--new-pod-scale-up-delay=30s\", \"--namespace=autoscaling\"]", &["extra_args", "typed argument `namespace`"]),
        ("max_node_provision_time          = \"15m\"", "extra_args = [\"--address=:9090\"]", &["extra_args", "port 8085"]),
        ("max_node_provision_time          = \"15m\"", "extra_args = [\"--status-config-map-name=ca-status\"]", &["extra_args", "cluster-autoscaler-status"]),
        ("kubernetes_version               = \"1.31\"", "kubernetes_version = \"1.29\"\n  extra_args = [\"--enable-provisioning-requests\"]", &["extra_args", "1.29 has no --enable-provisioning-requests"]),
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

/// Issue 19: with `namespace = "autoscaling"` the autoscaler is told its namespace (its own
/// default is kube-system), and the Role, RoleBinding and Deployment are all in it, so the status
/// ConfigMap and lease it writes there are the ones the Role grants. `--enable-provisioning-requests`
/// in `extra_args` adds the ClusterRole rules it needs.
#[test]
fn namespace_reaches_the_flag_and_every_namespaced_object() {
    let ws = Workspace::empty();
    let file = ws.path().join("out/ca.yaml");
    let config = seed(&file, "1.31").replace("  output_path", "  namespace = \"autoscaling\"\n  output_path");
    ws.write_config(&config);
    ws.apply();
    let attrs = ws.attrs("autoscale_cluster_autoscaler_manifest.this");
    assert_eq!(attrs["id"], "autoscaling/cluster-autoscaler");
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert_eq!(attrs["yaml"].as_str().unwrap(), yaml);
    let objects = parse_documents(&yaml).unwrap();
    let kind = |kind: &str| objects.iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in\n{yaml}"));
    let (role, binding, deployment) = (kind("Role"), kind("RoleBinding"), kind("Deployment"));
    for object in [kind("ServiceAccount"), role, binding, deployment] {
        assert_eq!(object["metadata"]["namespace"], "autoscaling", "{object}");
    }
    assert_eq!(binding["roleRef"], json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]}));
    assert_eq!(binding["subjects"], json!([{"kind": "ServiceAccount", "name": "cluster-autoscaler", "namespace": "autoscaling"}]));
    assert_eq!(kind("ClusterRoleBinding")["subjects"][0]["namespace"], "autoscaling");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "cluster-autoscaler");
    let command: Vec<&str> = pod["containers"][0]["command"].as_array().unwrap().iter().filter_map(Json::as_str).collect();
    let namespace_flags: Vec<&&str> = command.iter().filter(|a| a.starts_with("--namespace")).collect();
    assert_eq!(namespace_flags, [&"--namespace=autoscaling"], "{command:?}");
    // The status ConfigMap the autoscaler writes in its namespace is one the Role names.
    assert!(role["rules"].as_array().unwrap().iter().any(|r| r["resourceNames"].as_array().is_some_and(|n| n.contains(&json!("cluster-autoscaler-status")))), "{role}");
    ws.assert_no_changes();
    ws.assert_import_verifies("autoscale_cluster_autoscaler_manifest.this", file.to_str().unwrap(), &[]);

    let grants_provisioning_requests = |yaml: &str| {
        let objects = parse_documents(yaml).unwrap();
        let cluster_role = objects.iter().find(|o| o["kind"] == "ClusterRole").unwrap();
        cluster_role["rules"].as_array().unwrap().iter().any(|r| r["resources"] == json!(["provisioningrequests/status"]))
    };
    assert!(!grants_provisioning_requests(&yaml));
    ws.write_config(&config.replace("  output_path", "  extra_args = [\"--enable-provisioning-requests\"]\n  output_path"));
    ws.assert_changes(&["provisioningrequests"]);
    ws.apply();
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.contains("- --enable-provisioning-requests\n"), "{yaml}");
    assert!(grants_provisioning_requests(&yaml), "{yaml}");
    // Kept as a golden so that tests/manifests_kubernetes_validate.rs checks this variant too.
    assert_golden("cluster-autoscaler-autoscaling-provisioning-requests.yaml", &yaml);
    ws.assert_no_changes();
    ws.destroy();
    assert!(!file.exists());
}
