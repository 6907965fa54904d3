//! examples/ci/drift-check.sh, the CI drift check, run against the emulator: exit 0 when the
//! infrastructure matches; after out-of-band changes (a Cluster Autoscaler tag deleted from the
//! ASG, a rendered manifest edited) exit 2 with a summary naming each resource and attribute.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use acceptance::{Workspace, aws, create_cluster, repo_root, run, terraform_bin, unique};
use autoscale::aws::node_groups::asg_names_of_node_group;

/// Runs the script on the workspace the way CI would: TERRAFORM pointing at the pinned binary,
/// and the workspace's environment (dev_overrides, emulator endpoint).
fn drift_check(ws: &Workspace) -> (i32, String) {
    let mut command = Command::new("bash");
    command.arg(repo_root().join("examples/ci/drift-check.sh")).arg(ws.path()).env("TERRAFORM", terraform_bin()).env_remove("TF_LOG");
    for (key, value) in ws.env() {
        command.env(key, value);
    }
    let out = command.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn no_drift_exits_0_and_out_of_band_changes_are_named() {
    let cluster = unique("drift");
    create_cluster(&cluster);
    let ws = Workspace::new(&format!(
        r#"
resource "autoscale_spot_node_group" "batch" {{
  cluster_name    = "{cluster}"
  node_group_name = "batch"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = ["subnet-aaaa1111"]
  instance_types  = ["c5.xlarge", "c5a.xlarge"]
  labels          = {{ workload = "batch" }}
  scaling {{
    min_size     = 0
    max_size     = 10
    desired_size = 0
  }}
}}

resource "autoscale_asg_discovery_tags" "batch" {{
  cluster_name    = "{cluster}"
  node_group_name = autoscale_spot_node_group.batch.node_group_name
  from_node_group = false
  labels          = {{ workload = "batch" }}
}}

resource "autoscale_hpa_manifest" "api" {{
  name         = "api"
  max_replicas = 50
  output_path  = "${{path.module}}/out/api-hpa.yaml"
  target {{
    kind = "Deployment"
    name = "api"
  }}
}}
"#
    ));
    ws.apply();

    let (code, text) = drift_check(&ws);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("No drift"), "{text}");

    // Out of band: an operator deletes a node-template tag and hand-edits the manifest.
    let clients = aws();
    let asg = run(asg_names_of_node_group(&clients.eks, &cluster, "batch")).unwrap().remove(0);
    run(async {
        let tag = aws_sdk_autoscaling::types::Tag::builder()
            .resource_id(&asg)
            .resource_type("auto-scaling-group")
            .key("k8s.io/cluster-autoscaler/node-template/label/workload")
            .build();
        clients.autoscaling.delete_tags().tags(tag).send().await.unwrap();
    });
    let file = ws.path().join("out/api-hpa.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, yaml.replace("maxReplicas: 50", "maxReplicas: 500")).unwrap();

    let (code, text) = drift_check(&ws);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("Drift detected: 2 resource(s)"), "{text}");
    assert!(text.contains("autoscale_asg_discovery_tags.batch"), "{text}");
    assert!(text.contains(r#"tags["k8s.io/cluster-autoscaler/node-template/label/workload"]: (absent) -> "batch""#), "{text}");
    assert!(text.contains("autoscale_hpa_manifest.api"), "{text}");
    assert!(text.contains("output_file_sha256"), "{text}");
    // The node group did not drift and is not named.
    assert!(!text.contains("autoscale_spot_node_group.batch"), "{text}");

    // Apply restores both; the check is clean again.
    ws.apply();
    let (code, text) = drift_check(&ws);
    assert_eq!(code, 0, "{text}");

    ws.destroy();
}
