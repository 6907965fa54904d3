//! Every golden manifest (the seed's API and worker HPAs, Cluster Autoscaler — also in namespace
//! `autoscaling` with `--enable-provisioning-requests` — prometheus-adapter ConfigMap and Celery queue
//! exporter, written by the acceptance tests of the manifest resources)
//! passes `kubernetes-validate --strict` for Kubernetes 1.29 to 1.33. The tool comes with the
//! pinned Python venv (`make tools`); a missing tool fails the test instead of skipping it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use acceptance::repo_root;

const VERSIONS: [&str; 5] = ["1.29.0", "1.30.0", "1.31.0", "1.32.0", "1.33.0"];
const GOLDEN: [&str; 6] = [
    "api-hpa.yaml",
    "worker-hpa.yaml",
    "cluster-autoscaler.yaml",
    "cluster-autoscaler-autoscaling-provisioning-requests.yaml",
    "prometheus-adapter.yaml",
    "queue-exporter.yaml",
];

#[test]
fn golden_manifests_pass_strict_schema_validation_for_1_29_to_1_33() {
    let tool = repo_root().join(".tools/venv/bin/kubernetes-validate");
    assert!(tool.exists(), "{} is missing: run `make tools`", tool.display());
    let files: Vec<_> = GOLDEN.iter().map(|name| repo_root().join("tests/golden").join(name)).collect();
    for file in &files {
        assert!(file.exists(), "{} is missing", file.display());
    }
    for version in VERSIONS {
        let out = Command::new(&tool).args(["--strict", "--kubernetes-version", version]).args(&files).output().expect("running kubernetes-validate");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "kubernetes-validate --strict for {version} failed:\n{text}");
        // 6 files, 17 objects: 2 HPAs, twice 6 Cluster Autoscaler objects, 1 ConfigMap, the queue
        // exporter's Deployment and Service.
        assert_eq!(text.matches(" passed for resource ").count(), 17, "not every object was validated for {version}:\n{text}");
        assert!(!text.contains("ERROR"), "{text}");
    }
}

#[test]
fn a_broken_manifest_fails_validation() {
    // The check itself can fail: an HPA with an unknown field is refused.
    let tool = repo_root().join(".tools/venv/bin/kubernetes-validate");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    let golden = std::fs::read_to_string(repo_root().join("tests/golden/api-hpa.yaml")).unwrap();
    std::fs::write(&file, golden.replace("  maxReplicas: 50\n", "  maxReplicas: 50\n  maxReplica: 50\n")).unwrap();
    let out = Command::new(&tool).args(["--strict", "--kubernetes-version", "1.33.0"]).arg(&file).output().expect("running kubernetes-validate");
    assert!(!out.status.success());
}
